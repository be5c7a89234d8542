/*
 * fuzz_json_body: any bytes as a request body, through jsonv and plan.
 *
 * Checked on every input:
 * - jsonv_parse_object either gives an object, or fails with FAULT_INVALID
 *   (never another kind), an output of NULL, a non-empty detail, a field
 *   that is "body" or a path, and all of it valid UTF-8 within bounds;
 * - plan_from_json on the object (at path "") and on its "price" member
 *   (at path "price") either gives a plan that passes plan_check, or fails
 *   with FAULT_INVALID, a zeroed plan and a detail that names the field;
 * - a plan that is read goes to canonical text and back to the same plan
 *   and the same text, and through plan_to_json and plan_from_json to the
 *   same plan;
 * - the typed readers agree with the value's JSON type on every member.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonv.h"
#include "pricing/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
    json_t *j;

    if (strnlen(s, cap) >= cap)
        abort();
    j = json_string(s); /* NULL when not valid UTF-8 */
    if (j == NULL)
        abort();
    json_decref(j);
}

static void check_refusal(const struct fault *f, enum fault_kind want)
{
    if (f->kind != want || f->detail[0] == '\0')
        abort();
    check_text(f->field, sizeof f->field);
    check_text(f->detail, sizeof f->detail);
    if (want == FAULT_INVALID && f->field[0] == '\0')
        abort();
}

static void check_plan(const json_t *j, const char *path)
{
    static const struct plan zero;
    struct plan p, q, r;
    struct fault f;
    char *text = NULL, *text2 = NULL;
    json_t *back;

    memset(&p, 0xa5, sizeof p);
    fault_clear(&f);
    if (plan_from_json(&p, j, path, &f) != 0) {
        check_refusal(&f, FAULT_INVALID);
        if (memcmp(&p, &zero, sizeof p) != 0)
            abort();
        if (strstr(f.detail, f.field) == NULL &&
            strcmp(f.field, "body") != 0)
            abort();
        return;
    }
    if (plan_check(&p, &f) != 0)
        abort();
    if (plan_to_text(&text, &p, &f) != 0)
        abort();
    memset(&q, 0xa5, sizeof q);
    if (plan_from_text(&q, text, strlen(text), &f) != 0)
        abort();
    if (memcmp(&p, &q, sizeof p) != 0)
        abort();
    if (plan_to_text(&text2, &q, &f) != 0 || strcmp(text, text2) != 0)
        abort();
    back = plan_to_json(&p);
    if (back == NULL)
        abort();
    memset(&r, 0xa5, sizeof r);
    if (plan_from_json(&r, back, "price", &f) != 0 ||
        memcmp(&p, &r, sizeof p) != 0)
        abort();
    json_decref(back);
    free(text);
    free(text2);
}

/* Every typed reader on every member: success exactly when the JSON type
 * fits, and a refusal names the member. */
static void check_readers(const json_t *obj)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v) {
        struct fault f;
        const char *s, *arr[4];
        uint64_t u;
        size_t n;
        int present, b, rv;

        rv = jsonv_get_string(&s, obj, key, 1, 16, "p", &f);
        if ((rv == 0) != (json_is_string(v) && json_string_length(v) <= 16))
            abort();
        if (rv != 0)
            check_refusal(&f, FAULT_INVALID);
        rv = jsonv_get_uint(&u, &present, obj, key, 1, 0, UINT64_MAX, "p",
                            &f);
        if ((rv == 0) != (json_is_integer(v) && json_integer_value(v) >= 0 &&
                          (uint64_t)json_integer_value(v) <= JSONV_INT_MAX))
            abort();
        if (rv != 0)
            check_refusal(&f, FAULT_INVALID);
        rv = jsonv_get_bool(&b, &present, obj, key, 1, "p", &f);
        if ((rv == 0) != json_is_boolean(v))
            abort();
        rv = jsonv_get_decimal(&s, obj, key, 1, "p", &f);
        if (rv == 0) {
            uint64_t w;
            size_t len = strlen(s);
            struct fault g;
            int fits;

            if (!json_is_string(v) || len == 0 || len > 78 ||
                (s[0] == '0' && len > 1) ||
                strspn(s, "0123456789") != len)
                abort();
            fits = len < 20 ||
                   (len == 20 && strcmp(s, "18446744073709551615") <= 0);
            if ((jsonv_decimal_to_u64(&w, s, "p", &g) == 0) != fits)
                abort();
        } else {
            check_refusal(&f, FAULT_INVALID);
        }
        rv = jsonv_get_string_array(arr, 4, &n, obj, key, 1, 16, "p", &f);
        if (rv == 0 && (!json_is_array(v) || n != json_array_size(v)))
            abort();
        if (rv != 0)
            check_refusal(&f, FAULT_INVALID);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const some_keys[] = {"name", "price", "tags", NULL};
    json_t *j = (json_t *)&j;
    struct fault f;

    fault_clear(&f);
    if (jsonv_parse_object(&j, data, size, &f) != 0) {
        if (j != NULL)
            abort();
        check_refusal(&f, FAULT_INVALID);
        return 0;
    }
    if (!json_is_object(j))
        abort();
    if (jsonv_check_keys(j, some_keys, "", &f) != 0)
        check_refusal(&f, FAULT_INVALID);
    check_readers(j);
    check_plan(j, "");
    if (json_object_get(j, "price") != NULL)
        check_plan(json_object_get(j, "price"), "price");
    json_decref(j);
    return 0;
}
