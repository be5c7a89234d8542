/* In-process HTTP tests of the page's files (gateway/h_web.c,
 * gateway/webroot.c) as the repository ships them in web/: every file,
 * HTML, script, style and icon, carries the page's Content-Security-Policy
 * (own scripts and styles only, nothing inline, no eval, no framing),
 * Referrer-Policy, nosniff and a strong ETag that is the SHA-256 of its
 * bytes; If-None-Match gets a 304 without a body; a favicon is there, so
 * that a page load asks for nothing that is 404. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "gateway/webroot.h"
#include "lib/hex.h"
#include "tests/support/gwtest.h"
#include "tests/support/testutil.h"

static void adjust(struct gateway_options *o)
{
    o->web_dir = "web"; /* tests run from the repository's root */
}

static int setup(void **state)
{
    static struct gwtest t;

    gwtest_start(&t, adjust);
    *state = &t;
    return 0;
}

static int teardown(void **state)
{
    gwtest_stop(*state);
    return 0;
}

static const struct {
    const char *target;
    const char *file;
    const char *type;
} files[] = {
    {"/", "web/index.html", "text/html"},
    {"/index.html", "web/index.html", "text/html"},
    {"/app.js", "web/app.js", "text/javascript"},
    {"/style.css", "web/style.css", "text/css"},
    {"/favicon.ico", "web/favicon.ico", "image/x-icon"},
    {"/favicon.svg", "web/favicon.svg", "image/svg+xml"},
};

/* The ETag of a file: its SHA-256, quoted. */
static void etag_of(char out[70], const uint8_t *data, size_t len)
{
    uint8_t d[32];

    SHA256(data, len, d);
    out[0] = '"';
    assert_int_equal(hex_encode(out + 1, 66, d, 32), 0);
    strcat(out, "\"");
}

static void test_headers(void **state)
{
    struct gwtest *t = *state;
    struct gwtest_resp r;
    char v[512], etag[70];
    uint8_t *data;
    size_t len, i;

    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *what = files[i].target;

        assert_int_equal(testutil_read_file(files[i].file, &data, &len), 0);
        etag_of(etag, data, len);
        gwtest_send(t, "GET", files[i].target, NULL, NULL, &r);
        if (r.status != 200)
            fail_msg("%s: %d", what, r.status);
        assert_int_equal(r.body_len, len);
        assert_memory_equal(r.body, data, len);
        assert_non_null(gwtest_header(&r, "Content-Type", v, sizeof v));
        if (strncmp(v, files[i].type, strlen(files[i].type)) != 0)
            fail_msg("%s: Content-Type %s", what, v);
        assert_non_null(gwtest_header(&r, "Content-Security-Policy", v,
                                      sizeof v));
        assert_non_null(strstr(v, "default-src 'self'"));
        assert_non_null(strstr(v, "script-src 'self';"));
        assert_non_null(strstr(v, "style-src 'self';"));
        assert_non_null(strstr(v, "frame-ancestors 'none'"));
        assert_non_null(strstr(v, "object-src 'none'"));
        assert_null(strstr(v, "unsafe"));
        assert_null(strstr(v, "*"));
        assert_non_null(gwtest_header(&r, "Referrer-Policy", v, sizeof v));
        assert_string_equal(v, "no-referrer");
        assert_non_null(
            gwtest_header(&r, "X-Content-Type-Options", v, sizeof v));
        assert_string_equal(v, "nosniff");
        assert_non_null(gwtest_header(&r, "X-Frame-Options", v, sizeof v));
        assert_string_equal(v, "DENY");
        assert_non_null(gwtest_header(&r, "Cache-Control", v, sizeof v));
        assert_string_equal(v, "no-cache");
        assert_non_null(gwtest_header(&r, "ETag", v, sizeof v));
        if (strcmp(v, etag) != 0)
            fail_msg("%s: ETag %s, want %s", what, v, etag);
        gwtest_resp_clear(&r);
        free(data);
    }
}

static void test_conditional(void **state)
{
    struct gwtest *t = *state;
    struct gwtest_resp r;
    char v[256], etag[70], hdr[400];
    uint8_t *data;
    size_t len, i;
    /* Values of If-None-Match: before, the ETag (when with), after. */
    static const struct {
        const char *pre;
        int with;
        const char *post;
    } same[] = {{"", 1, ""},           {"W/", 1, ""},
                {"\"nope\", ", 1, ""}, {"\"a\",W/", 1, " ,\"b\""},
                {"*", 0, ""}},
      other[] = {{"\"nope\"", 0, ""}, {"W/\"nope\"", 0, ""},
                 {"", 0, ""},         {"garbage", 0, ""},
                 {"x", 1, ""},        {"", 1, "x"}};

    assert_int_equal(testutil_read_file("web/app.js", &data, &len), 0);
    etag_of(etag, data, len);
    free(data);
    for (i = 0; i < sizeof same / sizeof same[0]; i++) {
        snprintf(v, sizeof v, "%s%s%s", same[i].pre,
                 same[i].with ? etag : "", same[i].post);
        snprintf(hdr, sizeof hdr, "If-None-Match: %s\r\n", v);
        gwtest_send(t, "GET", "/app.js", NULL, hdr, &r);
        if (r.status != 304)
            fail_msg("If-None-Match: %s: %d", v, r.status);
        assert_int_equal(r.body_len, 0);
        assert_non_null(gwtest_header(&r, "ETag", v, sizeof v));
        assert_string_equal(v, etag);
        assert_non_null(gwtest_header(&r, "Cache-Control", v, sizeof v));
        assert_non_null(
            gwtest_header(&r, "Content-Security-Policy", v, sizeof v));
        gwtest_resp_clear(&r);
    }
    for (i = 0; i < sizeof other / sizeof other[0]; i++) {
        snprintf(v, sizeof v, "%s%s%s", other[i].pre,
                 other[i].with ? etag : "", other[i].post);
        snprintf(hdr, sizeof hdr, "If-None-Match: %s\r\n", v);
        gwtest_send(t, "GET", "/app.js", NULL, hdr, &r);
        if (r.status != 200)
            fail_msg("If-None-Match: %s: %d", v, r.status);
        assert_true(r.body_len > 0);
        gwtest_resp_clear(&r);
    }
    /* HEAD: the headers and length of GET, no body. */
    gwtest_send(t, "HEAD", "/favicon.ico", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    assert_non_null(gwtest_header(&r, "Content-Length", v, sizeof v));
    assert_int_equal(testutil_read_file("web/favicon.ico", &data, &len), 0);
    assert_int_equal(strtoul(v, NULL, 10), len);
    /* A real icon: an ICO header with one image. */
    assert_memory_equal(data, "\x00\x00\x01\x00\x01\x00", 6);
    free(data);
    gwtest_resp_clear(&r);
}

static void test_etag_match(void **state)
{
    static const struct {
        const char *inm;
        int match;
    } cases[] = {
        {NULL, 0},         {"", 0},           {"\"abc\"", 1},
        {"W/\"abc\"", 1},  {"*", 1},          {"\"x\", \"abc\"", 1},
        {"\"x\",\"y\"", 0}, {"\"abcd\"", 0},   {"\"ab\"", 0},
        {"abc", 0},        {"\"abc", 0},      {" , \"abc\" ,", 1},
        {"w/\"abc\"", 0},  {"\"x\" \"abc\"", 0}, {"\"abc\"x", 0},
        {"* ", 1},         {"*, \"abc\"", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (webroot_etag_match(cases[i].inm, "\"abc\"") != cases[i].match)
            fail_msg("If-None-Match %s: want %d", cases[i].inm ? cases[i].inm
                                                               : "(none)",
                     cases[i].match);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conditional, setup, teardown),
        cmocka_unit_test(test_etag_match),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
