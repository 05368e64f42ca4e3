/*
 * cmd — one file per CLI verb. Each cmd_VERB() takes the arguments after the verb and
 * returns the process exit status (0 success, 1 failure, 2 usage error). Scripts get
 * their one result on stdout; everything else goes to stderr.
 */
#ifndef CERTMESH_CMD_H
#define CERTMESH_CMD_H

#include "access/access.h"
#include "base/base.h"
#include "store/store.h"

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_collection(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_pattern(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_peer(int argc, char **argv);
int cmd_sync(int argc, char **argv);

/* ---- shared by the verbs (common.c) -------------------------------------------------- */

#define CMD_MAX_POS 64

#define CMD_LIST_MAX 64

/* The values of an option that may be given more than once, in order. */
struct cmd_list {
    const char *v[CMD_LIST_MAX];
    int n;
};

struct cmd_opt {
    const char *name;      /* without the leading "--" */
    const char **value;    /* set for options that take a value */
    bool *flag;            /* set for flags */
    struct cmd_list *list; /* set for options that may repeat */
};

/* The entries of an option table. */
#define CMD_VALUE(n, p)                                                                            \
    {                                                                                              \
        .name = (n), .value = (p)                                                                  \
    }
#define CMD_FLAG(n, p)                                                                             \
    {                                                                                              \
        .name = (n), .flag = (p)                                                                   \
    }
#define CMD_LIST(n, p)                                                                             \
    {                                                                                              \
        .name = (n), .list = (p)                                                                   \
    }
#define CMD_END                                                                                    \
    {                                                                                              \
        .name = NULL                                                                               \
    }

struct cmd_args {
    const char *pos[CMD_MAX_POS];
    int n_pos;
    bool help;
};

/* Parses --name VALUE, --name=VALUE and flags; other words are positional. An option with
 * a list collects every occurrence; with a value, the last one wins. Prints the usage and
 * returns -1 on an unknown option, a missing value or too many repeats. */
int cmd_parse(int argc, char **argv, const struct cmd_opt *opts, struct cmd_args *a,
              const char *usage);

/* What every verb does first: cmd_parse(), then -1 to go on, or the exit status to return
 * at once (0 after --help, 2 after a usage error). */
int cmd_start(int argc, char **argv, const struct cmd_opt *opts, struct cmd_args *a,
              const char *usage);

/* Paths inside a data directory. */
void cmd_path(char *out, size_t n, const char *data, const char *file);
/* Opens the node's store; prints the error and returns NULL on failure. */
struct store *cmd_open_store(const char *data);
/* Loads the key-hash pepper of the node. */
int cmd_load_pepper(const char *data, unsigned char pepper[ACCESS_PEPPER_BYTES]);
/* Reads a whole file (or stdin for "-") up to max bytes; malloc'ed, NUL-terminated. */
char *cmd_read_file(const char *path, size_t max, size_t *len, struct err *err);
/* Writes a file atomically with the given mode. */
int cmd_write_file(const char *path, const void *p, size_t n, int mode, struct err *err);
/* Loads the node's signer (node.key, and the identity and extension-definition that
 * declare its signatures, fixed in the store's meta at first use). Prints the error. */
int cmd_load_signer(const char *data, struct store *s, struct access_signer *sg);
/* Appends an administrative audit row (call inside the change's transaction). */
int cmd_audit_admin(struct store *s, const char *action, const char *detail);
/* Resolves an organisation name, printing an error if unknown. */
int cmd_org_id(struct store *s, const char *name, int64_t *id);
/* Prints "certmesh: " + message on stderr. */
void cmd_error(const char *fmt, ...) BASE_PRINTF(1, 2);

#endif
