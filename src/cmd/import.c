/*
 * import.c — `certmesh import FILE --collection C --as ORG`: loads a STIX bundle (or a
 * JSON array of objects) through exactly the path a TAXII POST takes (taxii_ingest):
 * same validation, same TLP rules, same status and audit records, in batches of 1,000.
 */
#include "cmd/cmd.h"
#include "taxii/taxii.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: certmesh import FILE --collection C --as ORG --data DIR\n"
    "\n"
    "Imports a STIX 2.1 bundle or a JSON array of objects (FILE '-' reads stdin) into\n"
    "collection C (id or alias), as organisation ORG acting with admin rights. Every object\n"
    "is validated and checked against the TLP rules; invalid ones are reported on stderr\n"
    "and the rest are stored. Exit status 1 if any object failed.\n";

#define IMPORT_BATCH 1000
#define IMPORT_MAX   ((size_t)4 << 30)

static void report_failures(const char *status_json)
{
    json_t *st = json_loads(status_json, 0, NULL);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(st, "failures"), i, f)
    {
        fprintf(stderr, "  %s: %s\n", jx_str(f, "id") ? jx_str(f, "id") : "(no id)",
                jx_str(f, "message") ? jx_str(f, "message") : "");
    }
    json_decref(st);
}

int cmd_import(int argc, char **argv)
{
    const char *data = NULL, *coll_s = NULL, *as = NULL;
    struct cmd_opt opts[] = {CMD_VALUE("data", &data), CMD_VALUE("collection", &coll_s),
                             CMD_VALUE("as", &as), CMD_END};
    struct cmd_args a;
    struct err err;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (a.n_pos != 1 || coll_s == NULL || as == NULL) {
        fputs(usage, stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        return 1;
    }
    struct store *s = cmd_open_store(data);
    if (s == NULL) {
        return 1;
    }
    int rc = 1;
    char *text = NULL;
    json_t *doc = NULL, *objs = NULL;
    struct store_collection coll;
    struct access_subject who = {.authenticated = true, .role = STORE_ROLE_ADMIN};
    struct access_signer signer = {0};
    int found = store_collection_get(s, coll_s, &coll, &err);
    if (found != 0) {
        cmd_error(found < 0 ? "%s" : "no collection '%s'", found < 0 ? err.msg : coll_s);
        goto out;
    }
    if (cmd_org_id(s, as, &who.org_id) != 0 || cmd_load_signer(data, s, &signer) != 0) {
        goto out;
    }
    size_t len;
    text = cmd_read_file(a.pos[0], IMPORT_MAX, &len, &err);
    if (text == NULL) {
        cmd_error("%s", err.msg);
        goto out;
    }
    doc = jx_parse(text, len, JX_MAX_DEPTH, &err);
    if (doc == NULL) {
        cmd_error("%s: %s", a.pos[0], err.msg);
        goto out;
    }
    free(text);
    text = NULL;
    objs = stix_objects_of(doc, &err);
    if (objs == NULL) {
        cmd_error("%s: %s", a.pos[0], err.msg);
        goto out;
    }
    size_t total = json_array_size(objs), ok = 0, failed = 0;
    bool tty = isatty(STDERR_FILENO);
    char actor[96];
    snprintf(actor, sizeof(actor), "cli:uid=%u as %s", (unsigned)getuid(), as);
    for (size_t off = 0; off < total; off += IMPORT_BATCH) {
        json_t *batch = json_array();
        for (size_t i = off; i < total && i < off + IMPORT_BATCH; i++) {
            json_array_append(batch, json_array_get(objs, i));
        }
        char status_id[UUID_TEXT];
        uuid_v4(status_id);
        struct taxii_ingest_result res;
        struct taxii_ingest_opts o = {.status_id = status_id, .actor = actor, .signer = &signer};
        int irc = taxii_ingest(s, &who, &coll, batch, &o, &res, &err);
        json_decref(batch);
        if (irc != 0) {
            cmd_error("import stopped after %zu objects: %s", ok + failed, err.msg);
            goto out;
        }
        ok += res.ok;
        failed += res.failed;
        if (res.failed > 0) {
            if (tty) {
                fputc('\n', stderr);
            }
            /* Messages name objects[i] within the batch; say where the batch starts. */
            size_t last = off + IMPORT_BATCH < total ? off + IMPORT_BATCH : total;
            fprintf(stderr, "objects %zu-%zu (batch status %s):\n", off, last - 1, status_id);
            report_failures(res.status_json.data);
        }
        buf_fini(&res.status_json);
        if (tty) {
            fprintf(stderr, "\rimported %zu/%zu objects (%zu failed)", ok + failed, total, failed);
        }
    }
    if (tty) {
        fputc('\n', stderr);
    }
    fprintf(stderr, "imported %zu of %zu objects into %s; %zu failed\n", ok, total, coll.id,
            failed);
    rc = failed > 0 ? 1 : 0;
out:
    access_signer_fini(&signer);
    json_decref(objs);
    json_decref(doc);
    free(text);
    store_close(s);
    return rc;
}
