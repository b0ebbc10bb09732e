/*
 * The --object secret registry: decodes each secret once (raw, base64 or
 * AES-256-CBC wrapped by another secret) and keeps its bytes by id.
 */
#include "qemu/osdep.h"

#include "crypto/cipher.h"
#include "crypto/secret.h"
#include "qapi/keyval.h"

/* The key and IV sizes of AES-256-CBC, which wraps encrypted secrets. */
#define SECRET_WRAP_KEY_LEN 32
#define SECRET_WRAP_IV_LEN 16

typedef enum QCryptoSecretFormat {
    QCRYPTO_SECRET_FORMAT_RAW,
    QCRYPTO_SECRET_FORMAT_BASE64,
    QCRYPTO_SECRET_FORMAT__MAX,
} QCryptoSecretFormat;

static const char *const secret_format_names[] = {
    [QCRYPTO_SECRET_FORMAT_RAW] = "raw",
    [QCRYPTO_SECRET_FORMAT_BASE64] = "base64",
};

static const QEnumLookup secret_format_lookup = {
    .array = secret_format_names,
    .size = QCRYPTO_SECRET_FORMAT__MAX,
};

/* The properties of a secret object, as 7.2 visits them. */
static const char *const secret_known_keys[] = {
    "qom-type", "id", "loaded", "format", "keyid", "iv", "data", "file",
};

typedef struct QCryptoSecretEntry {
    char *id;
    QCryptoKey *data;
} QCryptoSecretEntry;

/*
 * The one mutable global the style allows: secrets are added while the
 * command line is parsed and looked up later, possibly from any thread.
 */
static GMutex secret_lock;
static GPtrArray *secret_registry;

/* The parsed properties of one secret object (all borrowed). */
typedef struct QCryptoSecretProps {
    const char *id;
    QCryptoSecretFormat format;
    const char *keyid;
    const char *iv;
    const char *data;
    const char *file;
} QCryptoSecretProps;

static void secret_entry_free(gpointer p)
{
    QCryptoSecretEntry *entry = p;

    g_free(entry->id);
    qcrypto_key_free(entry->data);
    g_free(entry);
}

/* Returns: the entry for @id or NULL; called with secret_lock held. */
static QCryptoSecretEntry *secret_find_locked(const char *id)
{
    guint i;

    for (i = 0; secret_registry && i < secret_registry->len; i++) {
        QCryptoSecretEntry *entry = g_ptr_array_index(secret_registry, i);

        if (g_str_equal(entry->id, id)) {
            return entry;
        }
    }
    return NULL;
}

/* Returns: whether @id is a QOM identifier: a letter, then [A-Za-z0-9-._]. */
static bool secret_id_is_wellformed(const char *id)
{
    size_t i;

    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (i = 1; id[i]; i++) {
        if (!g_ascii_isalnum(id[i]) && !strchr("-._", id[i])) {
            return false;
        }
    }
    return true;
}

/*
 * Decode base64 as 7.2 does: only the alphabet, '=' and newlines are
 * allowed anywhere, and glib's lenient decoder does the rest (so "YW"
 * decodes to nothing rather than failing).
 */
static QCryptoKey *secret_base64_decode(const char *in, size_t len,
                                        Error **errp)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n";
    g_autoptr(QCryptoKey) out = NULL;
    gint state = 0;
    guint save = 0;
    size_t i, n;

    if (memchr(in, '\0', len)) {
        error_setg(errp, "Base64 data contains embedded NUL characters");
        return NULL;
    }
    for (i = 0; i < len; i++) {
        if (!strchr(alphabet, in[i])) {
            error_setg(errp, "Base64 data contains invalid characters");
            return NULL;
        }
    }
    out = qcrypto_key_new(len / 4 * 3 + 3);
    n = g_base64_decode_step(in, len, out->data, &state, &save);
    return qcrypto_key_new_from_data(out->data, n);
}

/*
 * Set up the AES-256-CBC cipher that unwraps @props's data: the key is
 * secret @props->keyid, the IV the base64 @props->iv.  7.2's checks, in
 * its order.  Returns: the cipher with its IV in @iv, or NULL.
 */
static QCryptoCipher *secret_wrap_cipher(const QCryptoSecretProps *props,
                                         QCryptoKey **iv, Error **errp)
{
    g_autoptr(QCryptoKey) key = qcrypto_secret_lookup(props->keyid, errp);
    g_autoptr(QCryptoKey) ivkey = NULL;
    QCryptoCipher *cipher;

    if (!key) {
        return NULL;
    }
    if (key->len != SECRET_WRAP_KEY_LEN) {
        error_setg(errp, "Key should be 32 bytes in length");
        return NULL;
    }
    if (!props->iv) {
        error_setg(errp, "IV is required to decrypt secret");
        return NULL;
    }
    ivkey = secret_base64_decode(props->iv, strlen(props->iv), errp);
    if (!ivkey) {
        return NULL;
    }
    if (ivkey->len != SECRET_WRAP_IV_LEN) {
        error_setg(errp, "IV should be 16 bytes in length not %zu",
                   ivkey->len);
        return NULL;
    }
    cipher = qcrypto_cipher_new(QCRYPTO_CIPHER_ALGO_AES_256,
                                QCRYPTO_CIPHER_MODE_CBC, key->data, key->len,
                                errp);
    if (cipher) {
        *iv = g_steal_pointer(&ivkey);
    }
    return cipher;
}

/* Unwrap AES-256-CBC @in (@in_len bytes) with secret @props->keyid. */
static QCryptoKey *secret_decrypt(const QCryptoSecretProps *props,
                                  const uint8_t *in, size_t in_len,
                                  Error **errp)
{
    g_autoptr(QCryptoKey) iv = NULL;
    g_autoptr(QCryptoKey) ciphertext = NULL;
    g_autoptr(QCryptoKey) plain = NULL;
    g_autoptr(QCryptoCipher) cipher = secret_wrap_cipher(props, &iv, errp);
    size_t block_len = qcrypto_cipher_get_block_len(
        QCRYPTO_CIPHER_ALGO_AES_256);
    size_t pad = 0;

    if (!cipher) {
        return NULL;
    }
    if (props->format == QCRYPTO_SECRET_FORMAT_BASE64) {
        ciphertext = secret_base64_decode((const char *)in, in_len, errp);
        if (!ciphertext) {
            return NULL;
        }
    } else {
        ciphertext = qcrypto_key_new_from_data(in, in_len);
    }
    if (ciphertext->len % block_len) {
        error_setg(errp, "Length %zu must be a multiple of block size %zu",
                   ciphertext->len, block_len);
        return NULL;
    }
    plain = qcrypto_key_new(ciphertext->len);
    qcrypto_cipher_decrypt(cipher, iv->data, ciphertext->data, plain->data,
                           ciphertext->len);
    /*
     * Like 7.2, only the last byte of the padding is checked, and an
     * empty ciphertext is an empty secret.
     */
    if (plain->len) {
        pad = plain->data[plain->len - 1];
        if (pad > block_len || pad > plain->len) {
            error_setg(errp, "Incorrect number of padding bytes (%d) found "
                       "on decrypted data", (int)pad);
            return NULL;
        }
    }
    return qcrypto_key_new_from_data(plain->data, plain->len - pad);
}

/* Returns: the raw input of the secret (its data or its file's bytes). */
static QCryptoKey *secret_load_input(const QCryptoSecretProps *props,
                                     Error **errp)
{
    g_autoptr(GError) gerr = NULL;
    gchar *contents = NULL;
    gsize len = 0;
    QCryptoKey *input;

    if (props->data && props->file) {
        error_setg(errp, "'file' and 'data' are mutually exclusive");
        return NULL;
    }
    if (props->data) {
        return qcrypto_key_new_from_data(props->data, strlen(props->data));
    }
    if (!props->file) {
        error_setg(errp, "Either 'file' or 'data' must be provided");
        return NULL;
    }
    if (!g_file_get_contents(props->file, &contents, &len, &gerr)) {
        error_setg(errp, "Unable to read %s: %s", props->file,
                   gerr->message);
        return NULL;
    }
    input = qcrypto_key_new_from_data(contents, len);
    qcrypto_memzero(contents, len);
    g_free(contents);
    return input;
}

/* Returns: the secret's final bytes, decoded as its properties say. */
static QCryptoKey *secret_load(const QCryptoSecretProps *props, Error **errp)
{
    g_autoptr(QCryptoKey) input = secret_load_input(props, errp);

    if (!input) {
        return NULL;
    }
    if (props->keyid) {
        return secret_decrypt(props, input->data, input->len, errp);
    }
    if (props->format == QCRYPTO_SECRET_FORMAT_BASE64) {
        return secret_base64_decode((const char *)input->data, input->len,
                                    errp);
    }
    return g_steal_pointer(&input);
}

/* Reject any key that is not a secret property, in the user's order. */
static bool secret_check_keys(const QObject *opts, Error **errp)
{
    g_autofree const char **keys = qdict_keys_in_insertion_order(opts);
    size_t i, j;

    for (i = 0; keys[i]; i++) {
        for (j = 0; j < G_N_ELEMENTS(secret_known_keys); j++) {
            if (g_str_equal(keys[i], secret_known_keys[j])) {
                break;
            }
        }
        if (j == G_N_ELEMENTS(secret_known_keys)) {
            error_setg(errp, "Parameter '%s' is unexpected", keys[i]);
            return false;
        }
    }
    return true;
}

/*
 * Parse and validate the properties in 7.2's order: id, the typed
 * members, unknown members, the id's syntax, then the read-only 'loaded'.
 */
static bool secret_parse_props(const QObject *opts, QCryptoSecretProps *props,
                               Error **errp)
{
    const char *loaded = qdict_get_str(opts, "loaded");
    bool loaded_value;
    int format;

    props->id = qdict_get_str(opts, "id");
    if (!props->id) {
        error_setg(errp, "Parameter 'id' is missing");
        return false;
    }
    if (loaded && !keyval_parse_bool("loaded", loaded, &loaded_value, errp)) {
        return false;
    }
    format = qapi_enum_parse(&secret_format_lookup, "format",
                             qdict_get_str(opts, "format"),
                             QCRYPTO_SECRET_FORMAT_RAW, errp);
    if (format < 0) {
        return false;
    }
    props->format = format;
    props->keyid = qdict_get_str(opts, "keyid");
    props->iv = qdict_get_str(opts, "iv");
    props->data = qdict_get_str(opts, "data");
    props->file = qdict_get_str(opts, "file");
    if (!secret_check_keys(opts, errp)) {
        return false;
    }
    if (!secret_id_is_wellformed(props->id)) {
        error_setg(errp, "Parameter 'id' expects an identifier");
        error_append_hint(errp, "Identifiers consist of letters, digits, "
                          "'-', '.', '_', starting with a letter.\n");
        return false;
    }
    if (loaded) {
        /* 7.2 keeps the deprecated property but no longer lets it be set. */
        error_setg(errp, "Property 'secret.loaded' is not writable");
        return false;
    }
    return true;
}

/* Returns: whether a secret named @id exists. */
static bool secret_exists(const char *id)
{
    bool found;

    g_mutex_lock(&secret_lock);
    found = secret_find_locked(id) != NULL;
    g_mutex_unlock(&secret_lock);
    return found;
}

bool qcrypto_secret_add(const QObject *opts, Error **errp)
{
    QCryptoSecretProps props = { .id = NULL };
    QCryptoSecretEntry *entry;
    QCryptoKey *data;

    if (!secret_parse_props(opts, &props, errp)) {
        return false;
    }
    /* 7.2 adds the object to its container before loading the data. */
    if (secret_exists(props.id)) {
        error_setg(errp, "attempt to add duplicate property '%s' to object "
                   "(type 'container')", props.id);
        return false;
    }
    data = secret_load(&props, errp);
    if (!data) {
        return false;
    }
    entry = g_new0(QCryptoSecretEntry, 1);
    entry->id = g_strdup(props.id);
    entry->data = data;

    g_mutex_lock(&secret_lock);
    if (!secret_registry) {
        secret_registry = g_ptr_array_new_with_free_func(secret_entry_free);
    }
    g_ptr_array_add(secret_registry, entry);
    g_mutex_unlock(&secret_lock);
    return true;
}

bool qcrypto_object_add_from_str(const char *optstr, Error **errp)
{
    g_autoptr(QObject) opts = keyval_parse_strict(optstr, "qom-type", errp);
    const char *type;

    if (!opts) {
        return false;
    }
    type = qdict_get_str(opts, "qom-type");
    if (!type) {
        error_setg(errp, "Parameter 'qom-type' is missing");
        return false;
    }
    if (!g_str_equal(type, "secret")) {
        error_setg(errp, "Parameter 'qom-type' does not accept value '%s'",
                   type);
        return false;
    }
    return qcrypto_secret_add(opts, errp);
}

QCryptoKey *qcrypto_secret_lookup(const char *id, Error **errp)
{
    QCryptoSecretEntry *entry;
    QCryptoKey *copy = NULL;

    g_mutex_lock(&secret_lock);
    entry = secret_find_locked(id);
    if (entry) {
        copy = qcrypto_key_new_from_data(entry->data->data, entry->data->len);
    }
    g_mutex_unlock(&secret_lock);
    if (!copy) {
        error_setg(errp, "No secret with id '%s'", id);
    }
    return copy;
}

QCryptoKey *qcrypto_secret_lookup_as_utf8(const char *id, Error **errp)
{
    g_autoptr(QCryptoKey) key = qcrypto_secret_lookup(id, errp);

    if (!key) {
        return NULL;
    }
    /*
     * As in 7.2 the whole secret must validate, and glib's validator
     * rejects NUL bytes, so a password never contains one.
     */
    if (!g_utf8_validate((const gchar *)key->data, key->len, NULL)) {
        error_setg(errp, "Data from secret %s is not valid UTF-8", id);
        return NULL;
    }
    return g_steal_pointer(&key);
}

void qcrypto_secret_registry_clear(void)
{
    g_mutex_lock(&secret_lock);
    if (secret_registry) {
        g_ptr_array_free(secret_registry, true);
        secret_registry = NULL;
    }
    g_mutex_unlock(&secret_lock);
}
