/* Unit tests for gateway/settings.c: the table itself, every type with
 * good and bad values, flags, the config file and its errors, the
 * environment, precedence, the rules between settings, --help, the
 * round trip through settings_print_config, and docs/CONFIG.md in sync. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/settings.h"
#include "tests/support/testutil.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The variables settings_load reads; cleared before each case so that
 * the caller's environment cannot leak in. */
static void clear_env(void)
{
    size_t n, i;
    const struct settings_entry *t = settings_entries(&n);

    for (i = 0; i < n; i++)
        if (t[i].env != NULL)
            unsetenv(t[i].env);
}

static int setup(void **state)
{
    clear_env();
    *state = testutil_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    clear_env();
    testutil_rmtree(*state);
    return 0;
}

/* Write text to dir/name and return the path (malloc'd). */
static char *write_conf(const char *dir, const char *name, const char *text,
                        size_t len)
{
    char *path;

    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    assert_int_equal(testutil_write_file(path, text, len), 0);
    return path;
}

/* Capture what fn writes into a malloc'd string. (Not inlined: gcc -O3
 * then mistakes the memstream's buffer for a local.) */
__attribute__((noinline)) static char *capture(void (*fn)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    assert_non_null(m);
    fn(m);
    assert_int_equal(fclose(m), 0);
    return buf;
}

/* settings_load over an argv of string literals. */
static int load(struct settings *s, int argc, const char *const *args,
                struct fault *f)
{
    char *argv[32];
    int i;

    assert_true(argc <= 32);
    for (i = 0; i < argc; i++)
        argv[i] = (char *)args[i];
    return settings_load(s, argc, argv, f);
}

/* ---- The table ---- */

static void test_table_is_sane(void **state)
{
    size_t n, i, j;
    const struct settings_entry *t = settings_entries(&n);
    char want[96];

    (void)state;
    assert_true(n >= 30);
    for (i = 0; i < n; i++) {
        const struct settings_entry *e = &t[i];
        size_t k;

        assert_non_null(e->name);
        for (k = 0; e->name[k]; k++)
            assert_true((e->name[k] >= 'a' && e->name[k] <= 'z') ||
                        (e->name[k] >= '0' && e->name[k] <= '9') ||
                        e->name[k] == '_');
        /* The flag is the key with dashes, or there is none. */
        if (e->flag != NULL) {
            snprintf(want, sizeof want, "--%s", e->name);
            for (k = 2; want[k]; k++)
                if (want[k] == '_')
                    want[k] = '-';
            assert_string_equal(e->flag, want);
        } else {
            /* A setting without a flag must be reachable otherwise. */
            assert_non_null(e->env);
        }
        assert_non_null(e->group);
        assert_non_null(e->def);
        assert_non_null(e->help);
        assert_true(strlen(e->help) > 20);
        assert_int_equal(e->help[strlen(e->help) - 1], '.');
        assert_true(e->min <= e->max || e->type == SETTINGS_BOOL ||
                    e->type == SETTINGS_ADDR || e->type == SETTINGS_CHOICE);
        if (e->type == SETTINGS_CHOICE)
            assert_non_null(e->choices);
        if (e->flags & SETTINGS_SECRET)
            assert_int_equal(e->type, SETTINGS_STRING);
        if (e->type != SETTINGS_BOOL)
            assert_true(e->flag == NULL || e->metavar != NULL);
        assert_ptr_equal(settings_find(e->name), e);
        for (j = 0; j < i; j++)
            assert_string_not_equal(t[j].name, e->name);
    }
    assert_null(settings_find("nope"));
    assert_null(settings_find(NULL));
}

static void test_defaults(void **state)
{
    struct settings s;
    struct fault f;

    (void)state;
    assert_int_equal(settings_defaults(&s, &f), 0);
    assert_string_equal(s.config, "");
    assert_string_equal(s.data_dir, "./var");
    assert_string_equal(s.web_dir, "web");
    assert_int_equal(s.listen.family, AF_INET);
    assert_string_equal(s.listen.host, "127.0.0.1");
    assert_int_equal(s.listen.port, 8080);
    assert_string_equal(s.tls_cert, "");
    assert_string_equal(s.tls_key, "");
    assert_string_equal(s.tls_key_password, "");
    assert_int_equal(s.max_connections, 1024);
    assert_int_equal(s.max_header_bytes, 16 * 1024);
    assert_int_equal(s.max_json_body, 1024 * 1024);
    assert_int_equal(s.max_part_bytes, 64 * 1024 * 1024);
    assert_int_equal(s.rate_limit, 100);
    assert_int_equal(s.rate_burst, 200);
    assert_int_equal(s.read_timeout_ms, 10000);
    assert_int_equal(s.request_deadline_ms, 60000);
    assert_int_equal(s.upload_deadline_ms, 600000);
    assert_int_equal(s.idle_timeout_ms, 30000);
    assert_int_equal(s.shutdown_grace_ms, 10000);
    assert_int_equal(s.publish_threads, 2);
    assert_int_equal(s.ingest_threads, 0);
    assert_int_equal(s.chunk_bytes, 1024 * 1024);
    assert_int_equal(s.zlib_level, 1);
    assert_int_equal(s.preview_rows, 10);
    assert_int_equal(s.log_level, 1); /* LOG_INFO */
    assert_true(s.access_log);
    assert_string_equal(s.rpc_url, "");
    assert_string_equal(s.contract, "");
    assert_int_equal(s.confirmations, 3);
    assert_int_equal(s.poll_ms, 1000);
    assert_false(s.finalized);
    assert_int_equal(s.chain_id, 0);
    /* The defaults pass the rules between settings. */
    assert_int_equal(settings_check(&s, &f), 0);
    settings_free(&s);
    /* Free is safe twice and on a zeroed struct. */
    settings_free(&s);
    settings_free(NULL);
    assert_null(s.data_dir);
}

/* ---- Values of every type ---- */

struct value_case {
    const char *name;
    const char *text;
    int ok;
    uint64_t want;       /* numbers, bools (0/1), choices */
    const char *want_s;  /* strings; addr host */
    const char *err;     /* a substring of the detail on failure */
};

#define GOOD(n, t, w) {n, t, 1, w, NULL, NULL}
#define GOODS(n, t, s) {n, t, 1, 0, s, NULL}
#define BAD(n, t, e) {n, t, 0, 0, NULL, e}

static const struct value_case value_cases[] = {
    /* Sizes: suffixes, case, bounds, syntax, overflow. */
    GOOD("max_part_bytes", "1024", 1024),
    GOOD("max_part_bytes", "1K", 1024),
    GOOD("max_part_bytes", "1k", 1024),
    GOOD("max_part_bytes", "64M", 64ull << 20),
    GOOD("max_part_bytes", "64MiB", 64ull << 20),
    GOOD("max_part_bytes", "64mb", 64ull << 20),
    GOOD("max_part_bytes", "2048B", 2048),
    GOOD("max_part_bytes", "1G", 1ull << 30),
    GOOD("max_part_bytes", "0001G", 1ull << 30),
    BAD("max_part_bytes", "2G",
        "max_part_bytes: must be between 1 KiB and 1 GiB, got 2G"),
    BAD("max_part_bytes", "1023",
        "max_part_bytes: must be between 1 KiB and 1 GiB, got 1023"),
    BAD("max_part_bytes", "1025M", "must be between 1 KiB and 1 GiB"),
    BAD("max_part_bytes", "", "must be a size in bytes such as 65536, 64K"),
    BAD("max_part_bytes", "-1K", "must be a size in bytes"),
    BAD("max_part_bytes", "+1K", "must be a size in bytes"),
    BAD("max_part_bytes", " 1K", "must be a size in bytes"),
    BAD("max_part_bytes", "1K ", "must be a size in bytes"),
    BAD("max_part_bytes", "1.5M", "must be a size in bytes"),
    BAD("max_part_bytes", "1T", "must be a size in bytes"),
    BAD("max_part_bytes", "1KX", "must be a size in bytes"),
    BAD("max_part_bytes", "1iB", "must be a size in bytes"),
    BAD("max_part_bytes", "M", "must be a size in bytes"),
    BAD("max_part_bytes", "18446744073709551616", "must be between"),
    BAD("max_part_bytes", "99999999999999999G", "must be between"),
    GOOD("max_header_bytes", "16K", 16384),
    BAD("max_header_bytes", "2M", "between 1 KiB and 1 MiB"),
    GOOD("max_json_body", "64M", 64ull << 20),
    GOOD("chunk_bytes", "512M", 512ull << 20),
    BAD("chunk_bytes", "513M", "between 1 KiB and 512 MiB"),
    /* Whole numbers. */
    GOOD("max_connections", "1", 1),
    GOOD("max_connections", "1000000", 1000000),
    BAD("max_connections", "0",
        "max_connections: must be between 1 and 1000000, got 0"),
    BAD("max_connections", "1000001", "between 1 and 1000000"),
    BAD("max_connections", "1K", "must be a whole number"),
    BAD("max_connections", "0x10", "must be a whole number"),
    BAD("max_connections", "1e3", "must be a whole number"),
    BAD("max_connections", "-5", "must be a whole number"),
    BAD("max_connections", "", "max_connections: must be a whole number "
                               "such as 10, got an empty value"),
    GOOD("zlib_level", "0", 0),
    GOOD("zlib_level", "9", 9),
    BAD("zlib_level", "10", "between 0 and 9"),
    GOOD("ingest_threads", "0", 0),
    BAD("publish_threads", "0", "between 1 and 64"),
    GOOD("preview_rows", "1000", 1000),
    GOOD("rate_limit", "0", 0),
    BAD("confirmations", "0", "between 1 and 10000"),
    GOOD("chain_id", "9007199254740991", 9007199254740991ull),
    BAD("chain_id", "9007199254740992", "between 0 and 9007199254740991"),
    GOOD("chain_id", "31337", 31337),
    /* Durations: units, bare milliseconds, bounds. */
    GOOD("read_timeout", "10s", 10000),
    GOOD("read_timeout", "100ms", 100),
    GOOD("read_timeout", "500", 500),
    GOOD("read_timeout", "1m", 60000),
    GOOD("read_timeout", "10m", 600000),
    BAD("read_timeout", "99ms",
        "read_timeout: must be between 100 ms and 10 min, got 99ms"),
    BAD("read_timeout", "11m", "between 100 ms and 10 min"),
    BAD("read_timeout", "1h", "between 100 ms and 10 min"),
    BAD("read_timeout", "10S", "must be a duration such as 500ms, 10s"),
    BAD("read_timeout", "1.5s", "must be a duration"),
    BAD("read_timeout", "s", "must be a duration"),
    BAD("read_timeout", "10 s", "must be a duration"),
    BAD("read_timeout", "10sec", "must be a duration"),
    GOOD("upload_deadline", "24h", 24ull * 3600 * 1000),
    BAD("upload_deadline", "25h", "between 1 s and 24 h"),
    GOOD("shutdown_grace", "0", 0),
    GOOD("poll_ms", "1000", 1000),
    GOOD("poll_ms", "10", 10),
    BAD("poll_ms", "5", "between 10 ms and 1 min"),
    GOOD("poll_ms", "2s", 2000),
    /* Yes/no. */
    GOOD("access_log", "true", 1),
    GOOD("access_log", "FALSE", 0),
    GOOD("access_log", "yes", 1),
    GOOD("access_log", "No", 0),
    GOOD("access_log", "on", 1),
    GOOD("access_log", "off", 0),
    GOOD("access_log", "1", 1),
    GOOD("access_log", "0", 0),
    BAD("access_log", "2", "access_log: must be true or false"),
    BAD("access_log", "tru", "must be true or false"),
    BAD("finalized", "", "must be true or false"),
    /* Choices. */
    GOOD("log_level", "debug", 0),
    GOOD("log_level", "info", 1),
    GOOD("log_level", "warn", 2),
    GOOD("log_level", "error", 3),
    BAD("log_level", "INFO",
        "log_level: must be one of debug, info, warn, error, got INFO"),
    BAD("log_level", "warning", "must be one of"),
    BAD("log_level", "", "must be one of"),
    /* Strings: lengths, control characters, checks. */
    GOODS("data_dir", "/var/lib/sluice", "/var/lib/sluice"),
    GOODS("data_dir", "a dir with spaces", "a dir with spaces"),
    BAD("data_dir", "", "data_dir: must not be empty"),
    BAD("data_dir", "a\tb", "must not hold control characters"),
    GOODS("web_dir", "", ""),
    GOODS("rpc_url", "http://127.0.0.1:8545", "http://127.0.0.1:8545"),
    GOODS("rpc_url", "https://x.example/v3/KEY", "https://x.example/v3/KEY"),
    GOODS("rpc_url", "", ""),
    BAD("rpc_url", "ftp://x", "rpc_url: must start with http:// or https://"),
    BAD("rpc_url", "127.0.0.1:8545", "must start with http://"),
    GOODS("contract", "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          "0x5FbDB2315678afecb367f032d93F642f64180aa3"),
    GOODS("contract", "0x5fbdb2315678afecb367f032d93f642f64180aa3",
          "0x5fbdb2315678afecb367f032d93f642f64180aa3"),
    GOODS("contract", "", ""),
    BAD("contract", "0x5FBdb2315678afecb367f032d93F642f64180aa3",
        "EIP-55 checksum"),
    BAD("contract", "0x1234", "contract: must be 0x and 40 hex digits"),
    BAD("contract", "5fbdb2315678afecb367f032d93f642f64180aa3", "0x and 40"),
    BAD("contract", "0x0000000000000000000000000000000000000000",
        "must not be the zero address"),
    GOODS("tls_cert", "/etc/ssl/a.pem", "/etc/ssl/a.pem"),
    /* Addresses. */
    GOODS("listen", "127.0.0.1:8080", "127.0.0.1"),
    GOODS("listen", "0.0.0.0:0", "0.0.0.0"),
    GOODS("listen", "255.255.255.255:65535", "255.255.255.255"),
    GOODS("listen", "[::1]:443", "::1"),
    GOODS("listen", "[::]:80", "::"),
    GOODS("listen", "[0:0::0001]:1", "::1"),
    BAD("listen", "127.0.0.1", "listen: needs a port"),
    BAD("listen", "127.0.0.1:", "port must be a number from 0 to 65535"),
    BAD("listen", "127.0.0.1:65536", "port must be a number"),
    BAD("listen", "127.0.0.1:-1", "port must be a number"),
    BAD("listen", "127.0.0.1:080", "port must be a number"),
    BAD("listen", "127.0.0.1:8080x", "port must be a number"),
    BAD("listen", "127.0.0.1:123456", "port must be a number"),
    BAD("listen", "localhost:8080",
        "listen: must be an IP address, not a host name, got localhost:8080"),
    BAD("listen", "::1:8080", "an IPv6 address goes in brackets"),
    BAD("listen", "[::1]8080", "needs a port"),
    BAD("listen", "[::1]", "needs a port"),
    BAD("listen", "[::1:80", "no ']'"),
    BAD("listen", "[]:80", "must be A.B.C.D:PORT or [IPv6]:PORT"),
    BAD("listen", "256.0.0.1:80", "must be A.B.C.D:PORT"),
    BAD("listen", "01.2.3.4:80", "must be A.B.C.D:PORT"),
    BAD("listen", "1.2.3:80", "must be A.B.C.D:PORT"),
    BAD("listen", " 1.2.3.4:80", "must be A.B.C.D:PORT"),
    BAD("listen", ":80", "must be A.B.C.D:PORT"),
    BAD("listen", "[fe80::1%eth0]:80", "must be A.B.C.D:PORT"),
    BAD("listen", "[127.0.0.1]:80", "must be A.B.C.D:PORT"),
    BAD("listen", "", "needs a port"),
};

static uint64_t field_u(const struct settings *s, const char *name)
{
    const struct settings_entry *e = settings_find(name);
    const char *p = (const char *)s + e->offset;

    switch (e->type) {
    case SETTINGS_BOOL: return *(const bool *)(const void *)p;
    case SETTINGS_CHOICE: return *(const unsigned *)(const void *)p;
    case SETTINGS_UINT:
    case SETTINGS_SIZE:
    case SETTINGS_DURATION: return *(const uint64_t *)(const void *)p;
    case SETTINGS_STRING:
    case SETTINGS_ADDR: break;
    }
    fail();
    return 0;
}

static const char *field_s(const struct settings *s, const char *name)
{
    const struct settings_entry *e = settings_find(name);
    const char *p = (const char *)s + e->offset;

    if (e->type == SETTINGS_ADDR)
        return ((const struct settings_addr *)(const void *)p)->host;
    assert_int_equal(e->type, SETTINGS_STRING);
    return *(char *const *)(const void *)p;
}

static void test_values(void **state)
{
    struct settings s, before;
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof value_cases / sizeof value_cases[0]; i++) {
        const struct value_case *c = &value_cases[i];
        const struct settings_entry *e = settings_find(c->name);
        int rc;

        assert_non_null(e);
        assert_int_equal(settings_defaults(&s, &f), 0);
        fault_clear(&f);
        before = s;
        rc = settings_set(&s, c->name, c->text, &f);
        if (rc != (c->ok ? 0 : -1))
            fail_msg("case %zu: %s = \"%s\": rc %d, %s", i, c->name, c->text,
                     rc, f.detail);
        if (c->ok) {
            if (c->want_s != NULL)
                assert_string_equal(field_s(&s, c->name), c->want_s);
            else
                assert_int_equal(field_u(&s, c->name), c->want);
        } else {
            assert_int_equal(f.kind, FAULT_INVALID);
            assert_string_equal(f.field, c->name);
            if (strstr(f.detail, c->err) == NULL)
                fail_msg("case %zu: %s = \"%s\": detail \"%s\" lacks \"%s\"",
                         i, c->name, c->text, f.detail, c->err);
            /* The detail starts with the key. */
            assert_memory_equal(f.detail, c->name, strlen(c->name));
            /* A failed set leaves the struct as it was. */
            assert_memory_equal(&s, &before, sizeof s);
            /* A secret's value is never shown. */
            if (e->flags & SETTINGS_SECRET && c->text[0] != '\0')
                assert_null(strstr(f.detail, c->text));
        }
        settings_free(&s);
    }
}

static void test_addr_family_and_port(void **state)
{
    struct settings s;
    struct fault f;

    (void)state;
    assert_int_equal(settings_defaults(&s, &f), 0);
    assert_int_equal(settings_set(&s, "listen", "[2001:db8::7]:9443", &f), 0);
    assert_int_equal(s.listen.family, AF_INET6);
    assert_string_equal(s.listen.host, "2001:db8::7");
    assert_int_equal(s.listen.port, 9443);
    assert_int_equal(settings_set(&s, "listen", "10.1.2.3:0", &f), 0);
    assert_int_equal(s.listen.family, AF_INET);
    assert_int_equal(s.listen.port, 0);
    settings_free(&s);
}

static void test_set_misuse(void **state)
{
    struct settings s;
    struct fault f;
    char big[1100];

    (void)state;
    assert_int_equal(settings_defaults(&s, &f), 0);
    assert_int_equal(settings_set(&s, "lisen", "x", &f), -1);
    assert_string_equal(f.field, "lisen");
    assert_non_null(strstr(f.detail, "unknown setting"));
    assert_int_equal(settings_set(&s, NULL, "x", &f), -1);
    assert_int_equal(settings_set(&s, "listen", NULL, &f), -1);
    assert_non_null(strstr(f.detail, "needs a value"));
    /* A secret that is too long: the message does not show it. */
    memset(big, 'p', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(settings_set(&s, "tls_key_password", big, &f), -1);
    assert_non_null(strstr(f.detail, "at most 1023 bytes"));
    assert_null(strstr(f.detail, "ppp"));
    /* A string replaced: the old one is freed (ASan would see a leak). */
    assert_int_equal(settings_set(&s, "tls_key_password", "one", &f), 0);
    assert_int_equal(settings_set(&s, "tls_key_password", "two", &f), 0);
    assert_string_equal(s.tls_key_password, "two");
    settings_free(&s);
}

/* ---- Flags ---- */

static void test_flags(void **state)
{
    struct settings s;
    struct fault f;
    const char *argv[] = {"serve", "--listen", "0.0.0.0:9000", "--data-dir=./d",
                    "--no-access-log", "--finalized", "--max-part-bytes=32M",
                    "--read-timeout", "2s", "--log-level=debug",
                    "--web-dir", "-h", "--rate-limit", "5",
                    "--rate-limit=7", "--web-dir=", "--chain-id", "31337",
                    "--contract", "0x5FbDB2315678afecb367f032d93F642f64180aa3",
                    "--rpc-url", "http://127.0.0.1:8545"};

    (void)state;
    assert_int_equal(load(&s, ARGC(argv), argv, &f), 0);
    assert_string_equal(s.listen.host, "0.0.0.0");
    assert_int_equal(s.listen.port, 9000);
    assert_string_equal(s.data_dir, "./d");
    assert_false(s.access_log);
    assert_true(s.finalized);
    assert_int_equal(s.max_part_bytes, 32u << 20);
    assert_int_equal(s.read_timeout_ms, 2000);
    assert_int_equal(s.log_level, 0);
    assert_int_equal(s.rate_limit, 7); /* the last one wins */
    assert_string_equal(s.web_dir, "");
    assert_int_equal(s.chain_id, 31337);
    assert_string_equal(s.rpc_url, "http://127.0.0.1:8545");
    settings_free(&s);

    {
        const char *a2[] = {"serve", "--finalized=false", "--access-log=no",
                      "--access-log", "--no-finalized", "--finalized=on"};

        assert_int_equal(load(&s, ARGC(a2), a2, &f), 0);
        assert_true(s.access_log);
        assert_true(s.finalized);
        settings_free(&s);
    }
    {
        const char *a3[] = {"serve"};

        assert_int_equal(load(&s, 1, a3, &f), 0);
        assert_string_equal(s.data_dir, "./var");
        settings_free(&s);
        /* argc 0 is no arguments at all. */
        assert_int_equal(load(&s, 0, a3, &f), 0);
        settings_free(&s);
    }
    {
        const char *a4[] = {"serve", "--data-dir", "./var", "--"};

        assert_int_equal(load(&s, ARGC(a4), a4, &f), 0);
        settings_free(&s);
    }
}

static void test_help_flag(void **state)
{
    struct settings s, zero;
    struct fault f;
    const char *a1[] = {"serve", "--listen", "1.2.3.4:5", "--help"};
    const char *a2[] = {"serve", "-h"};
    const char *a3[] = {"serve", "--help", "--bogus"};

    (void)state;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(load(&s, ARGC(a1), a1, &f), 1);
    assert_memory_equal(&s, &zero, sizeof s);
    assert_int_equal(load(&s, ARGC(a2), a2, &f), 1);
    assert_int_equal(load(&s, ARGC(a3), a3, &f), 1);
    settings_free(&s);
}

struct flag_case {
    const char *args[4];
    const char *field;
    const char *err;
};

static const struct flag_case flag_cases[] = {
    {{"--lisen", "1.2.3.4:5"}, "--lisen",
     "unknown option --lisen; did you mean --listen?"},
    {{"--lsiten=1.2.3.4:5"}, "--lsiten", "did you mean --listen?"},
    {{"--max_part_bytes", "1M"}, "--max_part_bytes",
     "did you mean --max-part-bytes?"},
    {{"--no-finalised"}, "--no-finalised", "did you mean --no-finalized?"},
    {{"--acess-log"}, "--acess-log", "did you mean --access-log?"},
    {{"--frobnicate"}, "--frobnicate",
     "unknown option --frobnicate; see sluiced serve --help"},
    {{"--no-listen"}, "listen", "--no-listen is only for yes/no settings"},
    {{"--no-finalized=1"}, "finalized", "--no-finalized takes no value"},
    {{"--finalized=maybe"}, "finalized", "finalized: must be true or false"},
    {{"--listen"}, "listen", "listen: --listen needs a value"},
    {{"--data-dir", "--listen", "1.2.3.4:5"}, "data_dir",
     "--data-dir needs a value, not the option --listen"},
    {{"--tls-key-password", "hunter2"}, "tls_key_password",
     "set SLUICE_TLS_KEY_PASSWORD or put it in the config file"},
    {{"-l"}, "", "unknown option -l; options are long"},
    {{"--=x"}, "", "options are long"},
    {{"serve2"}, "", "unexpected argument 'serve2'"},
    {{"--", "extra"}, "", "unexpected argument 'extra'"},
    {{"--listen", "1.2.3.4"}, "listen", "listen: needs a port"},
    {{"--max-part-bytes=2G"}, "max_part_bytes",
     "max_part_bytes: must be between 1 KiB and 1 GiB, got 2G"},
    {{"--config", "/nonexistent/sluiced.conf"}, "config",
     "config: cannot open /nonexistent/sluiced.conf"},
};

static void test_flag_errors(void **state)
{
    struct settings s, zero;
    struct fault f;
    size_t i;

    (void)state;
    memset(&zero, 0, sizeof zero);
    for (i = 0; i < sizeof flag_cases / sizeof flag_cases[0]; i++) {
        const struct flag_case *c = &flag_cases[i];
        const char *argv[6];
        int argc = 1;

        argv[0] = "serve";
        while (argc - 1 < 4 && c->args[argc - 1] != NULL) {
            argv[argc] = c->args[argc - 1];
            argc++;
        }
        fault_clear(&f);
        assert_int_equal(load(&s, argc, argv, &f), -1);
        assert_memory_equal(&s, &zero, sizeof s);
        assert_int_equal(f.kind, FAULT_INVALID);
        if (strcmp(f.field, c->field) != 0 || strstr(f.detail, c->err) == NULL)
            fail_msg("case %zu (%s): field \"%s\" detail \"%s\"", i,
                     c->args[0], f.field, f.detail);
        /* Nothing secret in the message. */
        assert_null(strstr(f.detail, "hunter2"));
    }
}

/* ---- The config file ---- */

static void test_file(void **state)
{
    const char *dir = *state;
    static const char text[] =
        "\xEF\xBB\xBF# sluiced.conf\n"
        "\n"
        "   # an indented comment\n"
        "listen = 0.0.0.0:9100\n"
        "data_dir=\"/srv/sluice data\"   # a comment after quotes\n"
        "web_dir = \"a \\\"quoted\\\" \\\\ dir\"\n"
        "max_part_bytes = 8M # trailing comment\n"
        "read_timeout\t=\t5s\r\n"
        "access_log = off\n"
        "rpc_url = http://127.0.0.1:8545/#frag\n"
        "contract = 0x5FbDB2315678afecb367f032d93F642f64180aa3\n"
        "tls_cert = \"\"\n"
        "tls_key_password = \"s3cret # not a comment\"\n"
        "tls_key = k.pem\n"
        "chunk_bytes = 2M";  /* no newline at the end */
    char *path = write_conf(dir, "sluiced.conf", text, sizeof text - 1);
    const char *argv[] = {"serve", "--config", path, "--tls-cert", "c.pem"};
    struct settings s;
    struct fault f;

    assert_int_equal(load(&s, ARGC(argv), argv, &f), 0);
    assert_string_equal(s.config, path);
    assert_string_equal(s.listen.host, "0.0.0.0");
    assert_int_equal(s.listen.port, 9100);
    assert_string_equal(s.data_dir, "/srv/sluice data");
    assert_string_equal(s.web_dir, "a \"quoted\" \\ dir");
    assert_int_equal(s.max_part_bytes, 8u << 20);
    assert_int_equal(s.read_timeout_ms, 5000);
    assert_false(s.access_log);
    assert_string_equal(s.rpc_url, "http://127.0.0.1:8545/#frag");
    assert_string_equal(s.tls_key_password, "s3cret # not a comment");
    assert_string_equal(s.tls_cert, "c.pem");
    assert_string_equal(s.tls_key, "k.pem");
    assert_int_equal(s.chunk_bytes, 2u << 20);
    settings_free(&s);
    free(path);
}

static void test_file_empty_and_limits(void **state)
{
    const char *dir = *state;
    char *line = malloc(SETTINGS_LINE_MAX + 16);
    struct settings s;
    struct fault f;
    char *path;

    /* An empty file, and --config "" which reads nothing. */
    path = write_conf(dir, "empty.conf", "", 0);
    {
        const char *argv[] = {"serve", "--config", path};

        assert_int_equal(load(&s, ARGC(argv), argv, &f), 0);
        settings_free(&s);
    }
    free(path);
    {
        const char *argv[] = {"serve", "--config="};

        assert_int_equal(load(&s, ARGC(argv), argv, &f), 0);
        assert_string_equal(s.config, "");
        settings_free(&s);
    }
    /* A line of exactly SETTINGS_LINE_MAX bytes, then one with a CR. */
    memset(line, '#', SETTINGS_LINE_MAX);
    line[SETTINGS_LINE_MAX] = '\r';
    line[SETTINGS_LINE_MAX + 1] = '\n';
    path = write_conf(dir, "max.conf", line, SETTINGS_LINE_MAX + 2);
    {
        const char *argv[] = {"serve", "--config", path};

        assert_int_equal(load(&s, ARGC(argv), argv, &f), 0);
        settings_free(&s);
    }
    free(path);
    /* One byte more is an error naming the key at the line's start. */
    memcpy(line, "web_dir = ", 10);
    memset(line + 10, 'x', SETTINGS_LINE_MAX + 1 - 10);
    line[SETTINGS_LINE_MAX + 1] = '\n';
    path = write_conf(dir, "long.conf", line, SETTINGS_LINE_MAX + 2);
    {
        const char *argv[] = {"serve", "--config", path};

        assert_int_equal(load(&s, ARGC(argv), argv, &f), -1);
        assert_string_equal(f.field, "web_dir");
        assert_non_null(strstr(f.detail, "long.conf:1: web_dir: the line is "
                                         "longer than 4096 bytes"));
    }
    free(path);
    /* Too long without a newline at the end, and without a key. */
    memset(line, ' ', SETTINGS_LINE_MAX + 5);
    path = write_conf(dir, "long2.conf", line, SETTINGS_LINE_MAX + 5);
    {
        const char *argv[] = {"serve", "--config", path};

        assert_int_equal(load(&s, ARGC(argv), argv, &f), -1);
        assert_string_equal(f.field, "config");
        assert_non_null(strstr(f.detail, "long2.conf:1: the line is longer"));
    }
    free(path);
    free(line);
}

struct file_case {
    const char *text;
    size_t len; /* 0: strlen(text) */
    const char *field;
    const char *err;
};

static const struct file_case file_cases[] = {
    {"lisen = 1.2.3.4:5\n", 0, "lisen",
     "x.conf:1: lisen: unknown setting; did you mean listen?"},
    {"# c\n\nmax-part-bytes = 1M\n", 0, "max-part-bytes",
     "x.conf:3: max-part-bytes: unknown setting; did you mean "
     "max_part_bytes?"},
    {"frobnicate = 1\n", 0, "frobnicate",
     "x.conf:1: frobnicate: unknown setting; see sluiced serve --help"},
    {"listen = 1.2.3.4:5\n# x\nlisten = 1.2.3.4:6\n", 0, "listen",
     "x.conf:3: listen: given twice (first on line 1)"},
    {"\n\nmax_part_bytes = 2G\n", 0, "max_part_bytes",
     "x.conf:3: max_part_bytes: must be between 1 KiB and 1 GiB, got 2G"},
    {"listen\n", 0, "listen", "x.conf:1: listen: expected `=` after the key"},
    {"listen 1.2.3.4:5\n", 0, "listen", "x.conf:1: listen: expected `=`"},
    {"= 5\n", 0, "config", "x.conf:1: expected `key = value`"},
    {"web_dir = \"abc\n", 0, "web_dir", "x.conf:1: web_dir: no closing quote"},
    {"web_dir = \"a\\nb\"\n", 0, "web_dir", "web_dir: unknown escape"},
    {"web_dir = \"a\" b\n", 0, "web_dir", "text after the closing quote"},
    {"web_dir = a\"b\n", 0, "web_dir", "must be quoted whole"},
    {"config = other.conf\n", 0, "config",
     "x.conf:1: config: only taken as the flag --config"},
    {"data_dir =\n", 0, "data_dir", "x.conf:1: data_dir: must not be empty"},
    {"data_dir = # nothing\n", 0, "data_dir", "data_dir: must not be empty"},
    {"zlib_level = 1\0\n", 16, "config", "x.conf:1: the line holds a NUL"},
    {"\xEF\xBBx = 1\n", 0, "config", "x.conf:1: the file is not UTF-8 text"},
    {"tls_cert = a.pem\n", 0, "tls_key",
     "tls_key: required when tls_cert is set"},
    {"rpc_url = nope\n", 0, "rpc_url", "x.conf:1: rpc_url: must start with"},
};

static void test_file_errors(void **state)
{
    const char *dir = *state;
    struct settings s;
    struct fault f;
    size_t i;

    for (i = 0; i < sizeof file_cases / sizeof file_cases[0]; i++) {
        const struct file_case *c = &file_cases[i];
        char *path = write_conf(dir, "x.conf", c->text,
                                c->len ? c->len : strlen(c->text));
        const char *argv[] = {"serve", "--config", path};

        fault_clear(&f);
        assert_int_equal(load(&s, ARGC(argv), argv, &f), -1);
        assert_int_equal(f.kind, FAULT_INVALID);
        if (strcmp(f.field, c->field) != 0 || strstr(f.detail, c->err) == NULL)
            fail_msg("case %zu: field \"%s\" detail \"%s\"", i, f.field,
                     f.detail);
        /* The file is named by its path. */
        if (strstr(c->err, "x.conf") != NULL)
            assert_non_null(strstr(f.detail, path));
        free(path);
    }
}

static void test_file_unreadable(void **state)
{
    const char *dir = *state;
    struct settings s;
    struct fault f;
    const char *argv[] = {"serve", "--config", dir};

    /* A folder opens but cannot be read. */
    assert_int_equal(load(&s, ARGC(argv), argv, &f), -1);
    assert_int_equal(f.kind, FAULT_IO);
    assert_string_equal(f.field, "config");
    assert_non_null(strstr(f.detail, "cannot read"));
}

/* ---- Environment and precedence ---- */

static void test_precedence(void **state)
{
    const char *dir = *state;
    static const char text[] = "log_level = debug\n"
                               "listen = 10.0.0.1:1000\n"
                               "tls_key_password = from-file\n"
                               "tls_cert = c.pem\ntls_key = k.pem\n";
    char *path = write_conf(dir, "p.conf", text, sizeof text - 1);
    const char *with_flag[] = {"serve", "--config", path, "--log-level",
                               "error", "--listen", "10.0.0.3:3000"};
    const char *no_flag[] = {"serve", "--config", path};
    const char *no_file[] = {"serve"};
    struct settings s;
    struct fault f;

    /* defaults < file */
    assert_int_equal(load(&s, ARGC(no_flag), no_flag, &f), 0);
    assert_int_equal(s.log_level, 0);
    assert_int_equal(s.listen.port, 1000);
    assert_string_equal(s.tls_key_password, "from-file");
    settings_free(&s);
    /* file < environment */
    setenv("SLUICE_LOG_LEVEL", "warn", 1);
    setenv("SLUICE_TLS_KEY_PASSWORD", "from-env", 1);
    assert_int_equal(load(&s, ARGC(no_flag), no_flag, &f), 0);
    assert_int_equal(s.log_level, 2);
    assert_string_equal(s.tls_key_password, "from-env");
    settings_free(&s);
    /* environment < flags */
    assert_int_equal(load(&s, ARGC(with_flag), with_flag, &f), 0);
    assert_int_equal(s.log_level, 3);
    assert_int_equal(s.listen.port, 3000);
    settings_free(&s);
    /* environment over defaults with no file */
    assert_int_equal(load(&s, 1, no_file, &f), -1);
    /* (a password without tls_key is refused) */
    assert_string_equal(f.field, "tls_key_password");
    unsetenv("SLUICE_TLS_KEY_PASSWORD");
    assert_int_equal(load(&s, 1, no_file, &f), 0);
    assert_int_equal(s.log_level, 2);
    settings_free(&s);
    /* An empty variable counts as unset. */
    setenv("SLUICE_LOG_LEVEL", "", 1);
    assert_int_equal(load(&s, ARGC(no_flag), no_flag, &f), 0);
    assert_int_equal(s.log_level, 0);
    settings_free(&s);
    /* A bad variable names itself. */
    setenv("SLUICE_LOG_LEVEL", "loud", 1);
    assert_int_equal(load(&s, 1, no_file, &f), -1);
    assert_string_equal(f.field, "log_level");
    assert_non_null(strstr(f.detail, "log_level (from SLUICE_LOG_LEVEL): "
                                     "must be one of debug, info, warn, "
                                     "error, got loud"));
    /* ...even when a flag would override it: every source is checked. */
    {
        const char *a[] = {"serve", "--log-level", "info"};

        assert_int_equal(load(&s, ARGC(a), a, &f), -1);
    }
    unsetenv("SLUICE_LOG_LEVEL");
    /* A secret variable with a bad value is not echoed. */
    setenv("SLUICE_RPC_URL", "wss://key-abc123@node", 1);
    assert_int_equal(load(&s, 1, no_file, &f), -1);
    assert_string_equal(f.field, "rpc_url");
    assert_non_null(strstr(f.detail, "rpc_url (from SLUICE_RPC_URL)"));
    assert_null(strstr(f.detail, "abc123"));
    /* The chain from the environment, with the contract as a flag. */
    setenv("SLUICE_RPC_URL", "http://127.0.0.1:8545", 1);
    {
        const char *a[] = {"serve", "--contract",
                     "0x5FbDB2315678afecb367f032d93F642f64180aa3"};

        assert_int_equal(load(&s, ARGC(a), a, &f), 0);
        assert_string_equal(s.rpc_url, "http://127.0.0.1:8545");
        settings_free(&s);
    }
    free(path);
}

/* ---- Rules between settings ---- */

struct cross_case {
    const char *set[3][2];
    const char *field; /* NULL: fine */
    const char *err;
};

static const struct cross_case cross_cases[] = {
    {{{"tls_cert", "c.pem"}}, "tls_key",
     "tls_key: required when tls_cert is set"},
    {{{"tls_key", "k.pem"}}, "tls_cert",
     "tls_cert: required when tls_key is set"},
    {{{"tls_cert", "c.pem"}, {"tls_key", "k.pem"}}, NULL, NULL},
    {{{"tls_key_password", "pw"}}, "tls_key_password",
     "tls_key_password: set, but there is no tls_key"},
    {{{"rate_limit", "300"}}, "rate_burst",
     "rate_burst: must be at least rate_limit (300) while rate limiting is "
     "on, got 200"},
    {{{"rate_limit", "300"}, {"rate_burst", "300"}}, NULL, NULL},
    {{{"rate_limit", "0"}, {"rate_burst", "1"}}, NULL, NULL},
    {{{"read_timeout", "2m"}}, "read_timeout",
     "read_timeout: must not exceed request_deadline (1 min), got 2 min"},
    {{{"upload_deadline", "30s"}}, "upload_deadline",
     "upload_deadline: must be at least request_deadline (1 min), got 30 s"},
    {{{"upload_deadline", "60s"}}, NULL, NULL},
    {{{"rpc_url", "http://127.0.0.1:8545"}}, "contract",
     "contract: required when rpc_url is set"},
    {{{"contract", "0x5FbDB2315678afecb367f032d93F642f64180aa3"}}, NULL, NULL},
};

static void test_cross_field(void **state)
{
    struct settings s;
    struct fault f;
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof cross_cases / sizeof cross_cases[0]; i++) {
        const struct cross_case *c = &cross_cases[i];

        assert_int_equal(settings_defaults(&s, &f), 0);
        for (j = 0; j < 3 && c->set[j][0] != NULL; j++)
            assert_int_equal(settings_set(&s, c->set[j][0], c->set[j][1], &f),
                             0);
        fault_clear(&f);
        if (c->field == NULL) {
            if (settings_check(&s, &f) != 0)
                fail_msg("case %zu: %s", i, f.detail);
        } else {
            assert_int_equal(settings_check(&s, &f), -1);
            assert_int_equal(f.kind, FAULT_INVALID);
            assert_string_equal(f.field, c->field);
            if (strstr(f.detail, c->err) == NULL)
                fail_msg("case %zu: detail \"%s\"", i, f.detail);
        }
        settings_free(&s);
    }
    /* settings_load applies the same rules to flags. */
    {
        const char *a[] = {"serve", "--rate-limit", "500", "--rate-burst",
                           "10"};

        assert_int_equal(load(&s, ARGC(a), a, &f), -1);
        assert_string_equal(f.field, "rate_burst");
    }
}

/* ---- Output ---- */

static void test_help_mentions_everything(void **state)
{
    char *help = capture(settings_print_help);
    size_t n, i;
    const struct settings_entry *t = settings_entries(&n);
    char buf[128];

    (void)state;
    assert_non_null(strstr(help, "usage: sluiced serve"));
    for (i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "key: %s;", t[i].name);
        if (!(t[i].flags & SETTINGS_FLAG_ONLY) && strstr(help, buf) == NULL)
            fail_msg("--help lacks %s", buf);
        if (t[i].flag != NULL) {
            if (t[i].type == SETTINGS_BOOL)
                snprintf(buf, sizeof buf, "--[no-]%s\n", t[i].flag + 2);
            else
                snprintf(buf, sizeof buf, "  %s %s\n", t[i].flag,
                         t[i].metavar);
            if (strstr(help, buf) == NULL)
                fail_msg("--help lacks %s", buf);
        }
        if (t[i].env != NULL && strstr(help, t[i].env) == NULL)
            fail_msg("--help lacks %s", t[i].env);
    }
    assert_non_null(strstr(help, "default: 64M; 1 KiB to 1 GiB"));
    assert_non_null(strstr(help, "one of debug, info, warn, error"));
    /* No line is wider than a terminal. */
    {
        const char *p = help, *nl;

        while ((nl = strchr(p, '\n')) != NULL) {
            assert_true(nl - p <= 79);
            p = nl + 1;
        }
    }
    free(help);
}

/* Find docs/CONFIG.md from the working directory or one of its parents
 * (the suite runs from the top of the tree). Returns a malloc'd path. */
static char *find_doc(void)
{
    char *path;
    int up;

    for (up = 0; up < 6; up++) {
        char prefix[32] = "";
        char *marker;
        int k;

        for (k = 0; k < up; k++)
            strcat(prefix, "../");
        assert_true(asprintf(&marker, "%sgateway/settings.h", prefix) > 0);
        if (access(marker, R_OK) == 0) {
            free(marker);
            assert_true(asprintf(&path, "%sdocs/CONFIG.md", prefix) > 0);
            return path;
        }
        free(marker);
    }
    fail_msg("cannot find the source tree from the working directory");
    return NULL;
}

static void test_markdown_in_sync(void **state)
{
    char *md = capture(settings_print_markdown);
    char *path = find_doc();
    uint8_t *doc = NULL;
    size_t len = 0, n, i;
    const struct settings_entry *t = settings_entries(&n);
    char buf[128];
    const char *u = getenv("SLUICE_UPDATE_DOCS");

    (void)state;
    for (i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "### `%s`", t[i].name);
        assert_non_null(strstr(md, buf));
    }
    if (u != NULL && strcmp(u, "1") == 0) {
        assert_int_equal(testutil_write_file(path, md, strlen(md)), 0);
        fprintf(stderr, "wrote %s\n", path);
    }
    if (testutil_read_file(path, &doc, &len) != 0)
        fail_msg("cannot read %s; run this test with SLUICE_UPDATE_DOCS=1",
                 path);
    if (len != strlen(md) || memcmp(doc, md, len) != 0)
        fail_msg("%s differs from settings_print_markdown; run this test "
                 "with SLUICE_UPDATE_DOCS=1 to rewrite it",
                 path);
    free(doc);
    free(path);
    free(md);
}

/* The example config file in docs/CONFIG.md loads. */
static void test_markdown_example_loads(void **state)
{
    const char *dir = *state;
    char *md = capture(settings_print_markdown);
    char *start = strstr(md, "```\n"), *end, *path;
    struct settings s;
    struct fault f;

    assert_non_null(start);
    start += 4;
    end = strstr(start, "```\n");
    assert_non_null(end);
    path = write_conf(dir, "example.conf", start, (size_t)(end - start));
    {
        const char *argv[] = {"serve", "--config", path};

        if (load(&s, ARGC(argv), argv, &f) != 0)
            fail_msg("example: %s", f.detail);
        assert_int_equal(s.max_part_bytes, 32u << 20);
        settings_free(&s);
    }
    free(path);
    free(md);
}

static void test_print_config_round_trip(void **state)
{
    const char *dir = *state;
    struct settings a, b;
    struct fault f;
    char *text = NULL, *path;
    size_t len = 0;
    FILE *m;
    static const char *const set[][2] = {
        {"listen", "[::1]:0"},
        {"data_dir", "/srv/a \"b\" \\c"},
        {"web_dir", ""},
        {"tls_cert", "c.pem"},
        {"tls_key", "k.pem"},
        {"tls_key_password", "hunter2"},
        {"max_header_bytes", "1500"},
        {"max_part_bytes", "1G"},
        {"read_timeout", "1500"},
        {"request_deadline", "90s"},
        {"upload_deadline", "2h"},
        {"shutdown_grace", "0"},
        {"rate_limit", "0"},
        {"rate_burst", "1"},
        {"log_level", "warn"},
        {"access_log", "false"},
        {"finalized", "true"},
        {"rpc_url", "http://127.0.0.1:8545"},
        {"contract", "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
        {"chain_id", "31337"},
    };
    size_t i, n;
    const struct settings_entry *t = settings_entries(&n);

    assert_int_equal(settings_defaults(&a, &f), 0);
    for (i = 0; i < sizeof set / sizeof set[0]; i++)
        assert_int_equal(settings_set(&a, set[i][0], set[i][1], &f), 0);
    m = open_memstream(&text, &len);
    settings_print_config(m, &a);
    fclose(m);
    /* Secrets stay out of it. */
    assert_null(strstr(text, "hunter2"));
    assert_null(strstr(text, "8545"));
    assert_non_null(strstr(text, "# tls_key_password: set, not shown"));
    assert_non_null(strstr(text, "read_timeout = 1500ms\n"));
    assert_non_null(strstr(text, "upload_deadline = 2h\n"));
    assert_non_null(strstr(text, "max_header_bytes = 1500\n"));
    assert_non_null(strstr(text, "listen = [::1]:0\n"));
    path = write_conf(dir, "round.conf", text, len);
    {
        const char *argv[] = {"serve", "--config", path};

        setenv("SLUICE_TLS_KEY_PASSWORD", "hunter2", 1);
        setenv("SLUICE_RPC_URL", "http://127.0.0.1:8545", 1);
        if (load(&b, ARGC(argv), argv, &f) != 0)
            fail_msg("round trip: %s\n%s", f.detail, text);
    }
    /* Every setting but --config reads back the same. */
    for (i = 0; i < n; i++) {
        const char *pa = (const char *)&a + t[i].offset;
        const char *pb = (const char *)&b + t[i].offset;

        if (t[i].flags & SETTINGS_FLAG_ONLY)
            continue;
        switch (t[i].type) {
        case SETTINGS_STRING:
            assert_string_equal(*(char *const *)(const void *)pa,
                                *(char *const *)(const void *)pb);
            break;
        case SETTINGS_ADDR:
            assert_memory_equal(pa, pb, sizeof(struct settings_addr));
            break;
        case SETTINGS_BOOL:
        case SETTINGS_UINT:
        case SETTINGS_SIZE:
        case SETTINGS_DURATION:
        case SETTINGS_CHOICE:
            assert_int_equal(field_u(&a, t[i].name), field_u(&b, t[i].name));
            break;
        }
    }
    settings_free(&a);
    settings_free(&b);
    free(path);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_sane),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_addr_family_and_port),
        cmocka_unit_test(test_set_misuse),
        cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_empty_and_limits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_unreadable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_field, setup, teardown),
        cmocka_unit_test(test_help_mentions_everything),
        cmocka_unit_test(test_markdown_in_sync),
        cmocka_unit_test_setup_teardown(test_markdown_example_loads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_print_config_round_trip, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
