/*
 * common.c — what every verb needs: option parsing, the data-directory layout, files.
 *
 * A data directory holds certmesh.db (SQLite, WAL), node.key (Ed25519 secret key),
 * key-pepper (the BLAKE2b key for API-key hashes), and tls/cert.pem, tls/key.pem.
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cmd_error(const char *fmt, ...)
{
    va_list ap;
    fputs("certmesh: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Stores one value of an option. */
static int put_value(const struct cmd_opt *o, const char *v)
{
    if (o->list == NULL) {
        *o->value = v;
        return 0;
    }
    if (o->list->n == CMD_LIST_MAX) {
        cmd_error("--%s given more than %d times", o->name, CMD_LIST_MAX);
        return -1;
    }
    o->list->v[o->list->n++] = v;
    return 0;
}

int cmd_parse(int argc, char **argv, const struct cmd_opt *opts, struct cmd_args *a,
              const char *usage)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            a->help = true;
            return 0;
        }
        if (arg[0] == '-' && arg[1] != '-' && arg[1] != '\0') {
            /* -X VALUE and -XVALUE for options named by one letter (-j 4) */
            const struct cmd_opt *o = NULL;
            for (const struct cmd_opt *p = opts; p->name != NULL; p++) {
                if (p->name[0] == arg[1] && p->name[1] == '\0' &&
                    (p->value != NULL || p->list != NULL)) {
                    o = p;
                }
            }
            if (o == NULL || (arg[2] == '\0' && i + 1 >= argc)) {
                cmd_error("unknown option or missing value: %s", arg);
                fputs(usage, stderr);
                return -1;
            }
            if (put_value(o, arg[2] != '\0' ? arg + 2 : argv[++i]) != 0) {
                return -1;
            }
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "-") == 0) {
            if (a->n_pos == CMD_MAX_POS) {
                cmd_error("too many arguments");
                fputs(usage, stderr);
                return -1;
            }
            a->pos[a->n_pos++] = arg;
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct cmd_opt *o = NULL;
        for (const struct cmd_opt *p = opts; p->name != NULL; p++) {
            if (strlen(p->name) == nlen && strncmp(p->name, name, nlen) == 0) {
                o = p;
            }
        }
        if (o == NULL) {
            cmd_error("unknown option --%.*s", (int)nlen, name);
            fputs(usage, stderr);
            return -1;
        }
        if (o->flag != NULL) {
            if (eq != NULL) {
                cmd_error("--%s takes no value", o->name);
                return -1;
            }
            *o->flag = true;
        } else if (eq != NULL) {
            if (put_value(o, eq + 1) != 0) {
                return -1;
            }
        } else if (i + 1 < argc) {
            if (put_value(o, argv[++i]) != 0) {
                return -1;
            }
        } else {
            cmd_error("--%s needs a value", o->name);
            fputs(usage, stderr);
            return -1;
        }
    }
    return 0;
}

int cmd_start(int argc, char **argv, const struct cmd_opt *opts, struct cmd_args *a,
              const char *usage)
{
    if (cmd_parse(argc, argv, opts, a, usage) != 0) {
        return 2;
    }
    return a->help ? 0 : -1;
}

void cmd_path(char *out, size_t n, const char *data, const char *file)
{
    snprintf(out, n, "%s/%s", data, file);
}

struct store *cmd_open_store(const char *data)
{
    char path[4096];
    struct store *s = NULL;
    struct err err;
    if (data == NULL) {
        cmd_error("--data DIR is required");
        return NULL;
    }
    cmd_path(path, sizeof(path), data, "certmesh.db");
    if (access(path, F_OK) != 0) {
        cmd_error("%s is not a certmesh data directory (run: certmesh init --data %s)", data, data);
        return NULL;
    }
    if (store_open(path, false, &s, &err) != 0) {
        cmd_error("%s", err.msg);
        return NULL;
    }
    return s;
}

int cmd_load_pepper(const char *data, unsigned char pepper[ACCESS_PEPPER_BYTES])
{
    char path[4096];
    struct err err;
    size_t n;
    cmd_path(path, sizeof(path), data, "key-pepper");
    char *p = cmd_read_file(path, 1024, &n, &err);
    if (p == NULL || n != ACCESS_PEPPER_BYTES) {
        cmd_error("cannot read %s: %s", path, p ? "wrong size" : err.msg);
        free(p);
        return -1;
    }
    memcpy(pepper, p, ACCESS_PEPPER_BYTES);
    explicit_bzero(p, n);
    free(p);
    return 0;
}

char *cmd_read_file(const char *path, size_t max, size_t *len, struct err *err)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(err, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct buf b;
    buf_init(&b, max);
    char chunk[65536];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            err_set(err, "cannot read %s: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0) {
            break;
        }
        if (buf_append(&b, chunk, (size_t)r) != 0) {
            err_set(err, "%s is larger than %zu bytes", path, max);
            goto fail;
        }
    }
    if (fd != STDIN_FILENO) {
        close(fd);
    }
    return buf_steal(&b, len);
fail:
    if (fd != STDIN_FILENO) {
        close(fd);
    }
    buf_fini(&b);
    return NULL;
}

int cmd_write_file(const char *path, const void *p, size_t n, int mode, struct err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        return err_set(err, "cannot create %s: %s", tmp, strerror(errno));
    }
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0) {
            close(fd);
            unlink(tmp);
            return err_set(err, "cannot write %s: %s", tmp, strerror(errno));
        }
        c += w;
        n -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return err_set(err, "cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

int cmd_audit_admin(struct store *s, const char *action, const char *detail)
{
    struct err err;
    char actor[64];
    snprintf(actor, sizeof(actor), "cli:uid=%u", (unsigned)getuid());
    if (access_audit(s, actor, action, detail, &err) != 0) {
        cmd_error("audit: %s", err.msg);
        return -1;
    }
    return 0;
}

int cmd_org_id(struct store *s, const char *name, int64_t *id)
{
    struct store_org o;
    struct err err;
    int rc = store_org_get(s, name, &o, &err);
    if (rc < 0) {
        cmd_error("%s", err.msg);
        return -1;
    }
    if (rc == 1) {
        cmd_error("no organisation named '%s' (see: certmesh org list)", name);
        return -1;
    }
    *id = o.id;
    return 0;
}

int cmd_load_signer(const char *data, struct store *s, struct access_signer *sg)
{
    struct err err;
    char path[4096], *node_id = NULL, *name = NULL, *since = NULL;
    size_t n = 0;
    int64_t created = 0;
    memset(sg, 0, sizeof(*sg));
    cmd_path(path, sizeof(path), data, "node.key");
    unsigned char *sk = (unsigned char *)cmd_read_file(path, 1024, &n, &err);
    int rc = -1;
    if (sk == NULL || n != sizeof(sg->sk)) {
        cmd_error("the node's signing key %s: %s", path, sk ? "wrong size" : err.msg);
        goto out;
    }
    memcpy(sg->sk, sk, sizeof(sg->sk));
    /* The declaring objects have one version for the node's life: fixed at first use. */
    int got = store_meta_get(s, "signer_since", &since, &err);
    if (got == 1) {
        char t[32];
        created = ts_now();
        snprintf(t, sizeof(t), "%" PRId64, created);
        got = store_meta_set(s, "signer_since", t, &err);
    } else if (got == 0 && str_to_i64(since, 0, INT64_MAX, &created) != 0) {
        got = err_set(&err, "meta signer_since is not a time");
    }
    if (got != 0 || store_meta_get(s, "node_id", &node_id, &err) != 0 ||
        store_meta_get(s, "node_name", &name, &err) < 0 ||
        access_signer_publish(sg, node_id, name ? name : "certmesh node", created, &err) != 0) {
        cmd_error("the node's signing key: %s", err.msg);
        goto out;
    }
    rc = 0;
out:
    if (sk != NULL) {
        sodium_memzero(sk, n);
    }
    if (rc != 0) {
        access_signer_fini(sg);
    }
    free(sk);
    free(node_id);
    free(name);
    free(since);
    return rc;
}
