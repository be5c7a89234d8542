#include "gateway/webroot.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/hex.h"
#include "storage/fsutil.h"

#define WEBROOT_MAX_FILES 256
#define WEBROOT_MAX_BYTES (4u << 20)

struct webroot {
    struct webroot_file files[WEBROOT_MAX_FILES];
    size_t n;
};

static const struct {
    const char *ext;
    const char *type;
} webroot_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *webroot_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    size_t i;

    if (dot == NULL)
        return NULL;
    for (i = 0; i < sizeof webroot_types / sizeof webroot_types[0]; i++)
        if (strcmp(dot, webroot_types[i].ext) == 0)
            return webroot_types[i].type;
    return NULL;
}

void webroot_free(struct webroot *w)
{
    size_t i;

    if (w == NULL)
        return;
    for (i = 0; i < w->n; i++)
        free(w->files[i].data);
    free(w);
}

int webroot_load(struct webroot **out, const char *dir, struct fault *f)
{
    struct webroot *w;
    struct webroot_file *wf;
    struct dirent *e;
    struct stat st;
    char path[4400];
    uint8_t digest[32];
    unsigned int dlen;
    DIR *d;
    FILE *fp;

    *out = NULL;
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    d = dir ? opendir(dir) : NULL;
    if (d == NULL) {
        *out = w; /* no page: every route but the API is 404 */
        return 0;
    }
    while ((e = readdir(d)) != NULL && w->n < WEBROOT_MAX_FILES) {
        const char *type = webroot_type(e->d_name);
        if (e->d_name[0] == '.' || type == NULL ||
            strlen(e->d_name) >= sizeof w->files[0].name ||
            fsutil_join(path, sizeof path, dir, e->d_name) < 0 ||
            lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
            (size_t)st.st_size > WEBROOT_MAX_BYTES)
            continue;
        wf = &w->files[w->n];
        wf->data = malloc((size_t)st.st_size + 1);
        fp = fopen(path, "rb");
        if (wf->data == NULL || fp == NULL ||
            fread(wf->data, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
            if (fp)
                fclose(fp);
            free(wf->data);
            wf->data = NULL;
            closedir(d);
            webroot_free(w);
            return fault_set(f, FAULT_IO, "web_dir", "cannot read %s", path);
        }
        fclose(fp);
        wf->len = (size_t)st.st_size;
        /* Length checked above: fits with its NUL. */
        memcpy(wf->name, e->d_name, strlen(e->d_name) + 1);
        wf->type = type;
        wf->is_html = strstr(type, "text/html") != NULL;
        EVP_Digest(wf->data, wf->len, digest, &dlen, EVP_sha256(), NULL);
        wf->etag[0] = '"';
        if (hex_encode(wf->etag + 1, sizeof wf->etag - 2, digest, 32) < 0)
            wf->etag[1] = '\0';
        memcpy(wf->etag + strlen(wf->etag), "\"", 2);
        w->n++;
    }
    closedir(d);
    *out = w;
    return 0;
}

const struct webroot_file *webroot_find(const struct webroot *w,
                                        const char *name)
{
    size_t i;

    if (w == NULL)
        return NULL;
    if (name[0] == '\0')
        name = "index.html";
    for (i = 0; i < w->n; i++)
        if (strcmp(w->files[i].name, name) == 0)
            return &w->files[i];
    return NULL;
}

int webroot_etag_match(const char *inm, const char *etag)
{
    size_t elen = strlen(etag), n;
    const char *p = inm;
    int match = 0;

    if (p == NULL)
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '*') /* "*" alone matches any file */
        return p[1 + strspn(p + 1, " \t")] == '\0';
    /* 1#entity-tag: a value that is not such a list matches nothing. */
    for (;;) {
        p += strspn(p, " \t,");
        if (*p == '\0')
            return match;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"')
            return 0;
        n = strcspn(p + 1, "\"");
        if (p[1 + n] != '"')
            return 0;
        if (n + 2 == elen && memcmp(p, etag, elen) == 0)
            match = 1;
        p += n + 2;
        p += strspn(p, " \t");
        if (*p != ',' && *p != '\0')
            return 0;
    }
}
