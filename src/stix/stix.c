/*
 * stix.c — STIX 2.1 validation, table-driven. Each object type is a row listing its
 * properties with a value kind; the common properties (section 3.2), the SCO common
 * properties (6.1), the rules no table can say (created <= modified, "at least one of",
 * ranges) and the custom-content naming rules (11.1, 11.2) are code. Section numbers
 * refer to STIX Version 2.1 incorporating Errata 01.
 */
#include "stix/stix.h"

#include <gnutls/crypto.h>

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum pk {
    PK_STR,    /* string */
    PK_TS,     /* timestamp */
    PK_INT,    /* integer; range in lo..hi */
    PK_NUM,    /* float or integer; range in lo..hi */
    PK_BOOL,   /* boolean */
    PK_REF,    /* identifier; arg = allowed target types "a,b" or NULL */
    PK_REFS,   /* list of identifier */
    PK_STRS,   /* list of string */
    PK_DICT,   /* dictionary */
    PK_HASHES, /* hashes (2.7) */
    PK_KCP,    /* list of kill-chain-phase (4.4) */
    PK_ENUM,   /* closed enumeration; arg = "|v1|v2|" */
    PK_ENUMS,  /* list of closed enumeration values */
    PK_HEX,    /* hex (2.8) */
    PK_BIN,    /* binary: base64 (2.3) */
    PK_OBJ,    /* JSON object */
    PK_OBJS,   /* list of JSON objects */
    PK_ANY,    /* reserved or free-form */
};

#define REQ 1u

struct prop {
    const char *name;
    enum pk kind;
    unsigned flags;
    const char *arg;
    double lo, hi;
};

struct vctx {
    const json_t *obj;
    const char *where;
    struct err *err;
};

typedef int (*extra_fn)(struct vctx *v);

struct type_rule {
    const char *type;
    enum stix_kind kind;
    const struct prop *props;
    extra_fn extra;
};

#define P(n, k)                                                                                    \
    {                                                                                              \
        n, k, 0, NULL, 0, 0                                                                        \
    }
#define PR(n, k)                                                                                   \
    {                                                                                              \
        n, k, REQ, NULL, 0, 0                                                                      \
    }
#define PA(n, k, a)                                                                                \
    {                                                                                              \
        n, k, 0, a, 0, 0                                                                           \
    }
#define PRA(n, k, a)                                                                               \
    {                                                                                              \
        n, k, REQ, a, 0, 0                                                                         \
    }
#define PN(n, k, lo, hi)                                                                           \
    {                                                                                              \
        n, k, 0, NULL, lo, hi                                                                      \
    }
#define PRN(n, k, lo, hi)                                                                          \
    {                                                                                              \
        n, k, REQ, NULL, lo, hi                                                                    \
    }
#define PEND                                                                                       \
    {                                                                                              \
        NULL, PK_ANY, 0, NULL, 0, 0                                                                \
    }

#define MAX_COUNT 999999999.0
#define INT54     9007199254740991.0

static const char SCO_TYPES[] =
    "artifact,autonomous-system,directory,domain-name,email-addr,email-message,file,"
    "ipv4-addr,ipv6-addr,mac-addr,mutex,network-traffic,process,software,url,user-account,"
    "windows-registry-key,x509-certificate";

/* ---- property tables (section 4 SDOs, 5 SROs, 6 SCOs, 7 meta objects) ------------------ */

static const struct prop p_attack_pattern[] = {PR("name", PK_STR), P("description", PK_STR),
                                               P("aliases", PK_STRS),
                                               P("kill_chain_phases", PK_KCP), PEND};
static const struct prop p_campaign[] = {PR("name", PK_STR),
                                         P("description", PK_STR),
                                         P("aliases", PK_STRS),
                                         P("first_seen", PK_TS),
                                         P("last_seen", PK_TS),
                                         P("objective", PK_STR),
                                         PEND};
static const struct prop p_course_of_action[] = {PR("name", PK_STR), P("description", PK_STR),
                                                 P("action", PK_ANY), PEND};
static const struct prop p_grouping[] = {P("name", PK_STR), P("description", PK_STR),
                                         PR("context", PK_STR), PR("object_refs", PK_REFS), PEND};
static const struct prop p_identity[] = {PR("name", PK_STR),
                                         P("description", PK_STR),
                                         P("roles", PK_STRS),
                                         P("identity_class", PK_STR),
                                         P("sectors", PK_STRS),
                                         P("contact_information", PK_STR),
                                         PEND};
static const struct prop p_incident[] = {PR("name", PK_STR), P("description", PK_STR),
                                         P("kill_chain_phases", PK_KCP), PEND};
static const struct prop p_indicator[] = {P("name", PK_STR),
                                          P("description", PK_STR),
                                          P("indicator_types", PK_STRS),
                                          PR("pattern", PK_STR),
                                          PR("pattern_type", PK_STR),
                                          P("pattern_version", PK_STR),
                                          PR("valid_from", PK_TS),
                                          P("valid_until", PK_TS),
                                          P("kill_chain_phases", PK_KCP),
                                          PEND};
static const struct prop p_infrastructure[] = {PR("name", PK_STR),
                                               P("description", PK_STR),
                                               P("infrastructure_types", PK_STRS),
                                               P("aliases", PK_STRS),
                                               P("kill_chain_phases", PK_KCP),
                                               P("first_seen", PK_TS),
                                               P("last_seen", PK_TS),
                                               PEND};
static const struct prop p_intrusion_set[] = {PR("name", PK_STR),
                                              P("description", PK_STR),
                                              P("aliases", PK_STRS),
                                              P("first_seen", PK_TS),
                                              P("last_seen", PK_TS),
                                              P("goals", PK_STRS),
                                              P("resource_level", PK_STR),
                                              P("primary_motivation", PK_STR),
                                              P("secondary_motivations", PK_STRS),
                                              PEND};
static const struct prop p_location[] = {P("name", PK_STR),
                                         P("description", PK_STR),
                                         PN("latitude", PK_NUM, -90.0, 90.0),
                                         PN("longitude", PK_NUM, -180.0, 180.0),
                                         PN("precision", PK_NUM, 0.0, INFINITY),
                                         P("region", PK_STR),
                                         P("country", PK_STR),
                                         P("administrative_area", PK_STR),
                                         P("city", PK_STR),
                                         P("street_address", PK_STR),
                                         P("postal_code", PK_STR),
                                         PEND};
static const struct prop p_malware[] = {P("name", PK_STR),
                                        P("description", PK_STR),
                                        P("malware_types", PK_STRS),
                                        PR("is_family", PK_BOOL),
                                        P("aliases", PK_STRS),
                                        P("kill_chain_phases", PK_KCP),
                                        P("first_seen", PK_TS),
                                        P("last_seen", PK_TS),
                                        PA("operating_system_refs", PK_REFS, "software"),
                                        P("architecture_execution_envs", PK_STRS),
                                        P("implementation_languages", PK_STRS),
                                        P("capabilities", PK_STRS),
                                        PA("sample_refs", PK_REFS, "file,artifact"),
                                        PEND};
static const struct prop p_malware_analysis[] = {
    PR("product", PK_STR),
    P("version", PK_STR),
    PA("host_vm_ref", PK_REF, "software"),
    PA("operating_system_ref", PK_REF, "software"),
    PA("installed_software_refs", PK_REFS, "software"),
    P("configuration_version", PK_STR),
    P("modules", PK_STRS),
    P("analysis_engine_version", PK_STR),
    P("analysis_definition_version", PK_STR),
    P("submitted", PK_TS),
    P("analysis_started", PK_TS),
    P("analysis_ended", PK_TS),
    P("result_name", PK_STR),
    P("result", PK_STR),
    PA("analysis_sco_refs", PK_REFS, SCO_TYPES),
    PA("sample_ref", PK_REF, "file,network-traffic,artifact"),
    PEND};
static const struct prop p_note[] = {P("abstract", PK_STR), PR("content", PK_STR),
                                     P("authors", PK_STRS), PR("object_refs", PK_REFS), PEND};
static const struct prop p_observed_data[] = {PR("first_observed", PK_TS),
                                              PR("last_observed", PK_TS),
                                              PRN("number_observed", PK_INT, 1, MAX_COUNT),
                                              P("objects", PK_DICT),
                                              P("object_refs", PK_REFS),
                                              PEND};
static const struct prop p_opinion[] = {
    P("explanation", PK_STR), P("authors", PK_STRS),
    PRA("opinion", PK_ENUM, "|strongly-disagree|disagree|neutral|agree|strongly-agree|"),
    PR("object_refs", PK_REFS), PEND};
static const struct prop p_report[] = {PR("name", PK_STR),         P("description", PK_STR),
                                       P("report_types", PK_STRS), PR("published", PK_TS),
                                       PR("object_refs", PK_REFS), PEND};
static const struct prop p_threat_actor[] = {PR("name", PK_STR),
                                             P("description", PK_STR),
                                             P("threat_actor_types", PK_STRS),
                                             P("aliases", PK_STRS),
                                             P("first_seen", PK_TS),
                                             P("last_seen", PK_TS),
                                             P("roles", PK_STRS),
                                             P("goals", PK_STRS),
                                             P("sophistication", PK_STR),
                                             P("resource_level", PK_STR),
                                             P("primary_motivation", PK_STR),
                                             P("secondary_motivations", PK_STRS),
                                             P("personal_motivations", PK_STRS),
                                             PEND};
static const struct prop p_tool[] = {PR("name", PK_STR),
                                     P("description", PK_STR),
                                     P("tool_types", PK_STRS),
                                     P("aliases", PK_STRS),
                                     P("kill_chain_phases", PK_KCP),
                                     P("tool_version", PK_STR),
                                     PEND};
static const struct prop p_vulnerability[] = {PR("name", PK_STR), P("description", PK_STR), PEND};
static const struct prop p_relationship[] = {PR("relationship_type", PK_STR),
                                             P("description", PK_STR),
                                             PR("source_ref", PK_REF),
                                             PR("target_ref", PK_REF),
                                             P("start_time", PK_TS),
                                             P("stop_time", PK_TS),
                                             PEND};
static const struct prop p_sighting[] = {P("description", PK_STR),
                                         P("first_seen", PK_TS),
                                         P("last_seen", PK_TS),
                                         PN("count", PK_INT, 0, MAX_COUNT),
                                         PR("sighting_of_ref", PK_REF),
                                         PA("observed_data_refs", PK_REFS, "observed-data"),
                                         PA("where_sighted_refs", PK_REFS, "identity,location"),
                                         P("summary", PK_BOOL),
                                         PEND};

static const struct prop p_artifact[] = {
    P("mime_type", PK_STR),
    P("payload_bin", PK_BIN),
    P("url", PK_STR),
    P("hashes", PK_HASHES),
    PA("encryption_algorithm", PK_ENUM, "|mime-type-indicated|AES-256-GCM|ChaCha20-Poly1305|"),
    P("decryption_key", PK_STR),
    PEND};
static const struct prop p_autonomous_system[] = {PRN("number", PK_INT, 0, INT54),
                                                  P("name", PK_STR), P("rir", PK_STR), PEND};
static const struct prop p_directory[] = {PR("path", PK_STR),
                                          P("path_enc", PK_STR),
                                          P("ctime", PK_TS),
                                          P("mtime", PK_TS),
                                          P("atime", PK_TS),
                                          PA("contains_refs", PK_REFS, "file,directory"),
                                          PEND};
static const struct prop p_domain_name[] = {
    PR("value", PK_STR), PA("resolves_to_refs", PK_REFS, "ipv4-addr,ipv6-addr,domain-name"), PEND};
static const struct prop p_email_addr[] = {PR("value", PK_STR), P("display_name", PK_STR),
                                           PA("belongs_to_ref", PK_REF, "user-account"), PEND};
static const struct prop p_email_message[] = {PR("is_multipart", PK_BOOL),
                                              P("date", PK_TS),
                                              P("content_type", PK_STR),
                                              PA("from_ref", PK_REF, "email-addr"),
                                              PA("sender_ref", PK_REF, "email-addr"),
                                              PA("to_refs", PK_REFS, "email-addr"),
                                              PA("cc_refs", PK_REFS, "email-addr"),
                                              PA("bcc_refs", PK_REFS, "email-addr"),
                                              P("message_id", PK_STR),
                                              P("subject", PK_STR),
                                              P("received_lines", PK_STRS),
                                              P("additional_header_fields", PK_DICT),
                                              P("body", PK_STR),
                                              P("body_multipart", PK_OBJS),
                                              PA("raw_email_ref", PK_REF, "artifact"),
                                              PEND};
static const struct prop p_file[] = {P("hashes", PK_HASHES),
                                     PN("size", PK_INT, 0, INT54),
                                     P("name", PK_STR),
                                     P("name_enc", PK_STR),
                                     P("magic_number_hex", PK_HEX),
                                     P("mime_type", PK_STR),
                                     P("ctime", PK_TS),
                                     P("mtime", PK_TS),
                                     P("atime", PK_TS),
                                     PA("parent_directory_ref", PK_REF, "directory"),
                                     PA("contains_refs", PK_REFS, SCO_TYPES),
                                     PA("content_ref", PK_REF, "artifact"),
                                     PEND};
static const struct prop p_ipv4[] = {PR("value", PK_STR),
                                     PA("resolves_to_refs", PK_REFS, "mac-addr"),
                                     PA("belongs_to_refs", PK_REFS, "autonomous-system"), PEND};
static const struct prop p_mac_addr[] = {PR("value", PK_STR), PEND};
static const struct prop p_mutex[] = {PR("name", PK_STR), PEND};
static const struct prop p_network_traffic[] = {
    P("start", PK_TS),
    P("end", PK_TS),
    P("is_active", PK_BOOL),
    PA("src_ref", PK_REF, "ipv4-addr,ipv6-addr,mac-addr,domain-name"),
    PA("dst_ref", PK_REF, "ipv4-addr,ipv6-addr,mac-addr,domain-name"),
    PN("src_port", PK_INT, 0, 65535),
    PN("dst_port", PK_INT, 0, 65535),
    PR("protocols", PK_STRS),
    PN("src_byte_count", PK_INT, 0, INT54),
    PN("dst_byte_count", PK_INT, 0, INT54),
    PN("src_packets", PK_INT, 0, INT54),
    PN("dst_packets", PK_INT, 0, INT54),
    P("ipfix", PK_DICT),
    PA("src_payload_ref", PK_REF, "artifact"),
    PA("dst_payload_ref", PK_REF, "artifact"),
    PA("encapsulates_refs", PK_REFS, "network-traffic"),
    PA("encapsulated_by_ref", PK_REF, "network-traffic"),
    PEND};
static const struct prop p_process[] = {P("is_hidden", PK_BOOL),
                                        PN("pid", PK_INT, -INT54, INT54),
                                        P("created_time", PK_TS),
                                        P("cwd", PK_STR),
                                        P("command_line", PK_STR),
                                        P("environment_variables", PK_DICT),
                                        PA("opened_connection_refs", PK_REFS, "network-traffic"),
                                        PA("creator_user_ref", PK_REF, "user-account"),
                                        PA("image_ref", PK_REF, "file"),
                                        PA("parent_ref", PK_REF, "process"),
                                        PA("child_refs", PK_REFS, "process"),
                                        PEND};
static const struct prop p_software[] = {PR("name", PK_STR),
                                         P("cpe", PK_STR),
                                         P("swid", PK_STR),
                                         P("languages", PK_STRS),
                                         P("vendor", PK_STR),
                                         P("version", PK_STR),
                                         PEND};
static const struct prop p_url[] = {PR("value", PK_STR), PEND};
static const struct prop p_user_account[] = {P("user_id", PK_STR),
                                             P("credential", PK_STR),
                                             P("account_login", PK_STR),
                                             P("account_type", PK_STR),
                                             P("display_name", PK_STR),
                                             P("is_service_account", PK_BOOL),
                                             P("is_privileged", PK_BOOL),
                                             P("can_escalate_privs", PK_BOOL),
                                             P("is_disabled", PK_BOOL),
                                             P("account_created", PK_TS),
                                             P("account_expires", PK_TS),
                                             P("credential_last_changed", PK_TS),
                                             P("account_first_login", PK_TS),
                                             P("account_last_login", PK_TS),
                                             PEND};
static const struct prop p_registry_key[] = {P("key", PK_STR),
                                             PA("values", PK_OBJS, "windows-registry-value-type"),
                                             P("modified_time", PK_TS),
                                             PA("creator_user_ref", PK_REF, "user-account"),
                                             PN("number_of_subkeys", PK_INT, 0, INT54),
                                             PEND};
static const struct prop p_x509[] = {P("is_self_signed", PK_BOOL),
                                     P("hashes", PK_HASHES),
                                     P("version", PK_STR),
                                     P("serial_number", PK_STR),
                                     P("signature_algorithm", PK_STR),
                                     P("issuer", PK_STR),
                                     P("validity_not_before", PK_TS),
                                     P("validity_not_after", PK_TS),
                                     P("subject", PK_STR),
                                     P("subject_public_key_algorithm", PK_STR),
                                     P("subject_public_key_modulus", PK_STR),
                                     PN("subject_public_key_exponent", PK_INT, 0, INT54),
                                     P("x509_v3_extensions", PK_OBJ),
                                     PEND};

static const struct prop p_marking_definition[] = {P("name", PK_STR), P("definition_type", PK_STR),
                                                   P("definition", PK_OBJ), PEND};
static const struct prop p_language_content[] = {
    PR("object_ref", PK_REF), P("object_modified", PK_TS), PR("contents", PK_DICT), PEND};
static const struct prop p_extension_definition[] = {
    PR("name", PK_STR),
    P("description", PK_STR),
    PR("schema", PK_STR),
    PR("version", PK_STR),
    PRA("extension_types", PK_ENUMS,
        "|new-sdo|new-sro|new-sco|property-extension|toplevel-property-extension|"),
    P("extension_properties", PK_STRS),
    PEND};

/* ---- predefined SCO extensions (6.x) and nested types ---------------------------------- */

static const struct prop p_registry_value[] = {
    P("name", PK_STR), P("data", PK_STR),
    PA("data_type", PK_ENUM,
       "|REG_NONE|REG_SZ|REG_EXPAND_SZ|REG_BINARY|REG_DWORD|REG_DWORD_BIG_ENDIAN|"
       "REG_DWORD_LITTLE_ENDIAN|REG_LINK|REG_MULTI_SZ|REG_RESOURCE_LIST|"
       "REG_FULL_RESOURCE_DESCRIPTION|REG_RESOURCE_REQUIREMENTS_LIST|REG_QWORD|"
       "REG_INVALID_TYPE|"),
    PEND};
static const struct prop p_archive_ext[] = {PRA("contains_refs", PK_REFS, SCO_TYPES),
                                            P("comment", PK_STR), PEND};
static const struct prop p_ntfs_ext[] = {P("sid", PK_STR), P("alternate_data_streams", PK_OBJS),
                                         PEND};
static const struct prop p_pdf_ext[] = {
    P("version", PK_STR), P("is_optimized", PK_BOOL), P("document_info_dict", PK_DICT),
    P("pdfid0", PK_STR),  P("pdfid1", PK_STR),        PEND};
static const struct prop p_raster_ext[] = {
    PN("image_height", PK_INT, 0, INT54), PN("image_width", PK_INT, 0, INT54),
    PN("bits_per_pixel", PK_INT, 0, INT54), P("exif_tags", PK_DICT), PEND};
static const struct prop p_pebinary_ext[] = {PR("pe_type", PK_STR),
                                             P("imphash", PK_STR),
                                             P("machine_hex", PK_HEX),
                                             PN("number_of_sections", PK_INT, 0, INT54),
                                             P("time_date_stamp", PK_TS),
                                             P("pointer_to_symbol_table_hex", PK_HEX),
                                             PN("number_of_symbols", PK_INT, 0, INT54),
                                             PN("size_of_optional_header", PK_INT, 0, INT54),
                                             P("characteristics_hex", PK_HEX),
                                             P("file_header_hashes", PK_HASHES),
                                             P("optional_header", PK_OBJ),
                                             P("sections", PK_OBJS),
                                             PEND};
static const struct prop p_http_request_ext[] = {PR("request_method", PK_STR),
                                                 PR("request_value", PK_STR),
                                                 P("request_version", PK_STR),
                                                 P("request_header", PK_DICT),
                                                 PN("message_body_length", PK_INT, 0, INT54),
                                                 PA("message_body_data_ref", PK_REF, "artifact"),
                                                 PEND};
static const struct prop p_icmp_ext[] = {PR("icmp_type_hex", PK_HEX), PR("icmp_code_hex", PK_HEX),
                                         PEND};
static const struct prop p_socket_ext[] = {
    PRA("address_family", PK_ENUM,
        "|AF_UNSPEC|AF_INET|AF_IPX|AF_APPLETALK|AF_NETBIOS|AF_INET6|AF_IRDA|AF_BTH|"),
    P("is_blocking", PK_BOOL),
    P("is_listening", PK_BOOL),
    P("options", PK_DICT),
    PA("socket_type", PK_ENUM, "|SOCK_STREAM|SOCK_DGRAM|SOCK_RAW|SOCK_RDM|SOCK_SEQPACKET|"),
    PN("socket_descriptor", PK_INT, 0, INT54),
    PN("socket_handle", PK_INT, -INT54, INT54),
    PEND};
static const struct prop p_tcp_ext[] = {P("src_flags_hex", PK_HEX), P("dst_flags_hex", PK_HEX),
                                        PEND};
static const struct prop p_unix_account_ext[] = {PN("gid", PK_INT, -INT54, INT54),
                                                 P("groups", PK_STRS), P("home_dir", PK_STR),
                                                 P("shell", PK_STR), PEND};
static const struct prop p_windows_process_ext[] = {
    P("aslr_enabled", PK_BOOL),
    P("dep_enabled", PK_BOOL),
    P("priority", PK_STR),
    P("owner_sid", PK_STR),
    P("window_title", PK_STR),
    P("startup_info", PK_DICT),
    PA("integrity_level", PK_ENUM, "|low|medium|high|system|"),
    PEND};
static const struct prop p_windows_service_ext[] = {
    P("service_name", PK_STR),
    P("descriptions", PK_STRS),
    P("display_name", PK_STR),
    P("group_name", PK_STR),
    PA("start_type", PK_ENUM,
       "|SERVICE_AUTO_START|SERVICE_BOOT_START|SERVICE_DEMAND_START|SERVICE_DISABLED|"
       "SERVICE_SYSTEM_ALERT|"),
    PA("service_dll_refs", PK_REFS, "file"),
    PA("service_type", PK_ENUM,
       "|SERVICE_KERNEL_DRIVER|SERVICE_FILE_SYSTEM_DRIVER|SERVICE_WIN32_OWN_PROCESS|"
       "SERVICE_WIN32_SHARE_PROCESS|"),
    PA("service_status", PK_ENUM,
       "|SERVICE_CONTINUE_PENDING|SERVICE_PAUSE_PENDING|SERVICE_PAUSED|SERVICE_RUNNING|"
       "SERVICE_START_PENDING|SERVICE_STOP_PENDING|SERVICE_STOPPED|"),
    PEND};

/* Which predefined extension belongs on which SCO type. */
static const struct {
    const char *name;
    const char *on_type;
    const struct prop *props;
} sco_exts[] = {
    {"archive-ext", "file", p_archive_ext},
    {"ntfs-ext", "file", p_ntfs_ext},
    {"pdf-ext", "file", p_pdf_ext},
    {"raster-image-ext", "file", p_raster_ext},
    {"windows-pebinary-ext", "file", p_pebinary_ext},
    {"http-request-ext", "network-traffic", p_http_request_ext},
    {"icmp-ext", "network-traffic", p_icmp_ext},
    {"socket-ext", "network-traffic", p_socket_ext},
    {"tcp-ext", "network-traffic", p_tcp_ext},
    {"unix-account-ext", "user-account", p_unix_account_ext},
    {"windows-process-ext", "process", p_windows_process_ext},
    {"windows-service-ext", "process", p_windows_service_ext},
};

/* ---- rules a table cannot express --------------------------------------------------- */

static int fail(struct vctx *v, const char *prop, const char *fmt, ...) BASE_PRINTF(3, 4);

static int fail(struct vctx *v, const char *prop, const char *fmt, ...)
{
    char rule[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rule, sizeof(rule), fmt, ap);
    va_end(ap);
    if (prop != NULL && prop[0] != '\0') {
        return err_set(v->err, "%s.%s: %s", v->where, prop, rule);
    }
    return err_set(v->err, "%s: %s", v->where, rule);
}

static bool has(struct vctx *v, const char *name)
{
    return json_object_get(v->obj, name) != NULL;
}

/* a <= b for two optional timestamps (already type-checked). */
static int order(struct vctx *v, const char *a, const char *b, bool strict)
{
    ts_us ta, tb;
    const char *sa = jx_str(v->obj, a), *sb = jx_str(v->obj, b);
    if (sa == NULL || sb == NULL || ts_parse(sa, &ta, NULL) != 0 || ts_parse(sb, &tb, NULL) != 0) {
        return 0;
    }
    if (strict ? tb <= ta : tb < ta) {
        return fail(v, b, "must be %s %s", strict ? "later than" : "no earlier than", a);
    }
    return 0;
}

static int x_seen(struct vctx *v)
{
    return order(v, "first_seen", "last_seen", false);
}

static int x_indicator(struct vctx *v)
{
    const char *pattern = jx_str(v->obj, "pattern");
    if (pattern != NULL && pattern[0] == '\0') {
        return fail(v, "pattern", "must not be empty");
    }
    return order(v, "valid_from", "valid_until", true);
}

static int x_location(struct vctx *v)
{
    bool lat = has(v, "latitude"), lon = has(v, "longitude");
    if (lat != lon) {
        return fail(v, lat ? "longitude" : "latitude",
                    "latitude and longitude must be given together (4.10)");
    }
    if (has(v, "precision") && !lat) {
        return fail(v, "precision", "requires latitude and longitude (4.10)");
    }
    if (!lat && !has(v, "region") && !has(v, "country")) {
        return fail(v, "", "a location needs region, country, or latitude and longitude (4.10)");
    }
    return 0;
}

static int x_malware(struct vctx *v)
{
    if (json_is_true(json_object_get(v->obj, "is_family")) && !has(v, "name")) {
        return fail(v, "name", "required when is_family is true (4.11)");
    }
    return x_seen(v);
}

static int x_malware_analysis(struct vctx *v)
{
    if (!has(v, "result") && !has(v, "analysis_sco_refs")) {
        return fail(v, "", "one of result or analysis_sco_refs is required (4.12)");
    }
    return 0;
}

static int x_observed_data(struct vctx *v)
{
    bool objs = has(v, "objects"), refs = has(v, "object_refs");
    if (objs == refs) {
        return fail(v, "object_refs", "exactly one of object_refs or objects is required (4.14)");
    }
    return order(v, "first_observed", "last_observed", false);
}

static int x_relationship(struct vctx *v)
{
    static const char *const ends[] = {"source_ref", "target_ref"};
    for (size_t i = 0; i < 2; i++) {
        const char *r = jx_str(v->obj, ends[i]);
        if (r != NULL &&
            (str_has_prefix(r, "bundle--") || str_has_prefix(r, "language-content--") ||
             str_has_prefix(r, "marking-definition--") || str_has_prefix(r, "relationship--") ||
             str_has_prefix(r, "sighting--"))) {
            return fail(v, ends[i], "must refer to an SDO or SCO (5.1)");
        }
    }
    return order(v, "start_time", "stop_time", true);
}

static int x_sighting(struct vctx *v)
{
    const char *r = jx_str(v->obj, "sighting_of_ref");
    if (r != NULL) {
        char type[STIX_TYPE_MAX];
        const char *dash = strstr(r, "--");
        size_t n = dash ? (size_t)(dash - r) : 0;
        if (n > 0 && n < sizeof(type)) {
            memcpy(type, r, n);
            type[n] = '\0';
            enum stix_kind k = stix_kind_of(type);
            if (k != STIX_SDO && k != STIX_CUSTOM) {
                return fail(v, "sighting_of_ref", "must refer to an SDO (5.2)");
            }
        }
    }
    return x_seen(v);
}

static int x_artifact(struct vctx *v)
{
    bool bin = has(v, "payload_bin"), url = has(v, "url");
    if (bin && url) {
        return fail(v, "url", "must not be present together with payload_bin (6.1)");
    }
    if (url && !has(v, "hashes")) {
        return fail(v, "hashes", "required when url is present (6.1)");
    }
    if (has(v, "decryption_key") && !has(v, "encryption_algorithm")) {
        return fail(v, "decryption_key", "requires encryption_algorithm (6.1)");
    }
    return 0;
}

static int x_email_message(struct vctx *v)
{
    bool multi = json_is_true(json_object_get(v->obj, "is_multipart"));
    if (multi && has(v, "body")) {
        return fail(v, "body", "must not be present when is_multipart is true (6.6)");
    }
    if (!multi && has(v, "body_multipart")) {
        return fail(v, "body_multipart", "must not be present when is_multipart is false (6.6)");
    }
    return 0;
}

static int x_file(struct vctx *v)
{
    if (!has(v, "hashes") && !has(v, "name")) {
        return fail(v, "", "a file needs hashes or name (6.7)");
    }
    return 0;
}

static int x_network_traffic(struct vctx *v)
{
    if (!has(v, "src_ref") && !has(v, "dst_ref")) {
        return fail(v, "", "network-traffic needs src_ref or dst_ref (6.12)");
    }
    if (json_is_true(json_object_get(v->obj, "is_active")) && has(v, "end")) {
        return fail(v, "end", "must not be present when is_active is true (6.12)");
    }
    return order(v, "start", "end", false);
}

/* Process, user-account, windows-registry-key and x509-certificate must carry at least one
 * property beyond the SCO common ones (6.13, 6.16, 6.17, 6.18). */
static int x_nonempty_sco(struct vctx *v)
{
    static const char *const common[] = {
        "type",     "id",        "spec_version", "object_marking_refs", "granular_markings",
        "defanged", "extensions"};
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v->obj, key, val)
    {
        bool is_common = false;
        for (size_t i = 0; i < BASE_ARRAY_LEN(common); i++) {
            if (strcmp(key, common[i]) == 0 && strcmp(key, "extensions") != 0) {
                is_common = true;
            }
        }
        if (!is_common) {
            return 0;
        }
    }
    return fail(v, "", "must contain at least one property besides the common ones");
}

static int x_marking_definition(struct vctx *v)
{
    if (has(v, "modified")) {
        return fail(v, "modified", "marking definitions are not versioned (7.2.1)");
    }
    const char *dt = jx_str(v->obj, "definition_type");
    json_t *def = json_object_get(v->obj, "definition");
    if ((dt != NULL) != (def != NULL)) {
        return fail(v, "definition", "definition_type and definition go together (7.2.1)");
    }
    if (dt == NULL && !has(v, "extensions")) {
        return fail(v, "", "needs definition_type and definition, or an extension (7.2.1)");
    }
    if (dt != NULL && strcmp(dt, "statement") == 0 &&
        !json_is_string(json_object_get(def, "statement"))) {
        return fail(v, "definition.statement", "required string for a statement marking");
    }
    if (dt != NULL && strcmp(dt, "tlp") == 0) {
        const char *t = jx_str(def, "tlp");
        if (t == NULL ||
            (strcmp(t, "white") && strcmp(t, "green") && strcmp(t, "amber") && strcmp(t, "red"))) {
            return fail(v, "definition.tlp", "must be one of white, green, amber, red (7.2.1.4)");
        }
    }
    return 0;
}

static int x_language_content(struct vctx *v)
{
    json_t *contents = json_object_get(v->obj, "contents");
    const char *lang;
    json_t *val;
    json_object_foreach(contents, lang, val)
    {
        if (!json_is_object(val)) {
            return fail(v, "contents", "each language maps to a dictionary (7.1)");
        }
    }
    return 0;
}

static const struct type_rule type_rules[] = {
    {"attack-pattern", STIX_SDO, p_attack_pattern, NULL},
    {"campaign", STIX_SDO, p_campaign, x_seen},
    {"course-of-action", STIX_SDO, p_course_of_action, NULL},
    {"grouping", STIX_SDO, p_grouping, NULL},
    {"identity", STIX_SDO, p_identity, NULL},
    {"incident", STIX_SDO, p_incident, NULL},
    {"indicator", STIX_SDO, p_indicator, x_indicator},
    {"infrastructure", STIX_SDO, p_infrastructure, x_seen},
    {"intrusion-set", STIX_SDO, p_intrusion_set, x_seen},
    {"location", STIX_SDO, p_location, x_location},
    {"malware", STIX_SDO, p_malware, x_malware},
    {"malware-analysis", STIX_SDO, p_malware_analysis, x_malware_analysis},
    {"note", STIX_SDO, p_note, NULL},
    {"observed-data", STIX_SDO, p_observed_data, x_observed_data},
    {"opinion", STIX_SDO, p_opinion, NULL},
    {"report", STIX_SDO, p_report, NULL},
    {"threat-actor", STIX_SDO, p_threat_actor, x_seen},
    {"tool", STIX_SDO, p_tool, NULL},
    {"vulnerability", STIX_SDO, p_vulnerability, NULL},
    {"relationship", STIX_SRO, p_relationship, x_relationship},
    {"sighting", STIX_SRO, p_sighting, x_sighting},
    {"artifact", STIX_SCO, p_artifact, x_artifact},
    {"autonomous-system", STIX_SCO, p_autonomous_system, NULL},
    {"directory", STIX_SCO, p_directory, NULL},
    {"domain-name", STIX_SCO, p_domain_name, NULL},
    {"email-addr", STIX_SCO, p_email_addr, NULL},
    {"email-message", STIX_SCO, p_email_message, x_email_message},
    {"file", STIX_SCO, p_file, x_file},
    {"ipv4-addr", STIX_SCO, p_ipv4, NULL},
    {"ipv6-addr", STIX_SCO, p_ipv4, NULL},
    {"mac-addr", STIX_SCO, p_mac_addr, NULL},
    {"mutex", STIX_SCO, p_mutex, NULL},
    {"network-traffic", STIX_SCO, p_network_traffic, x_network_traffic},
    {"process", STIX_SCO, p_process, x_nonempty_sco},
    {"software", STIX_SCO, p_software, NULL},
    {"url", STIX_SCO, p_url, NULL},
    {"user-account", STIX_SCO, p_user_account, x_nonempty_sco},
    {"windows-registry-key", STIX_SCO, p_registry_key, x_nonempty_sco},
    {"x509-certificate", STIX_SCO, p_x509, x_nonempty_sco},
    {"marking-definition", STIX_META, p_marking_definition, x_marking_definition},
    {"language-content", STIX_META, p_language_content, x_language_content},
    {"extension-definition", STIX_META, p_extension_definition, NULL},
};

static const struct type_rule *rule_of(const char *type)
{
    for (size_t i = 0; i < BASE_ARRAY_LEN(type_rules); i++) {
        if (strcmp(type_rules[i].type, type) == 0) {
            return &type_rules[i];
        }
    }
    return NULL;
}

enum stix_kind stix_kind_of(const char *type)
{
    const struct type_rule *r = rule_of(type);
    return r ? r->kind : STIX_CUSTOM;
}

/* ---- value checks ------------------------------------------------------------------- */

/* Type names (3.1, 11.2.1): a-z, 0-9, hyphen; no "--"; 3 to 250 characters; a letter
 * first. */
bool stix_type_name_ok(const char *s, size_t n)
{
    if (n < 3 || n > 250 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return false;
        }
        if (c == '-' && i > 0 && s[i - 1] == '-') {
            return false;
        }
    }
    return true;
}

bool stix_prop_name_ok(const char *s, size_t n, size_t min)
{
    if (n < min || n == 0 || n > 250) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return true;
}

static bool type_name_ok(const char *s)
{
    return stix_type_name_ok(s, strlen(s));
}

static bool prop_name_ok(const char *s)
{
    return stix_prop_name_ok(s, strlen(s), 3); /* custom properties: at least 3 (11.1.1) */
}

/* An identifier (2.9) "type--UUID"; if allowed is given the type must be in it. */
static int check_ref(struct vctx *v, const char *path, const json_t *val, const char *allowed)
{
    const char *s = json_string_value(val);
    if (s == NULL) {
        return fail(v, path, "must be an identifier string");
    }
    const char *dash = strstr(s, "--");
    if (dash == NULL) {
        return fail(v, path, "not a STIX identifier (type--UUID)");
    }
    size_t tn = (size_t)(dash - s);
    char type[STIX_TYPE_MAX];
    if (tn == 0 || tn >= sizeof(type)) {
        return fail(v, path, "not a STIX identifier (type--UUID)");
    }
    memcpy(type, s, tn);
    type[tn] = '\0';
    if (!type_name_ok(type) || !uuid_valid(dash + 2, strlen(dash + 2))) {
        return fail(v, path, "not a STIX identifier (type--UUID, lowercase RFC 4122 UUID)");
    }
    if (allowed != NULL) {
        const char *p = allowed;
        while (*p != '\0') {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (n == tn && memcmp(p, type, n) == 0) {
                return 0;
            }
            p += n + (comma != NULL);
        }
        return fail(v, path, "must refer to one of: %s", allowed);
    }
    return 0;
}

static int check_ts(struct vctx *v, const char *path, const json_t *val)
{
    ts_us t;
    if (!json_is_string(val) || ts_parse(json_string_value(val), &t, NULL) != 0) {
        return fail(v, path, "not an RFC 3339 timestamp");
    }
    return 0;
}

static bool enum_has(const char *set, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = strstr(set, s); p != NULL; p = strstr(p + 1, s)) {
        if (p[-1] == '|' && p[n] == '|') {
            return true;
        }
    }
    return false;
}

static int check_list(struct vctx *v, const char *path, const json_t *val)
{
    if (!json_is_array(val)) {
        return fail(v, path, "must be a list");
    }
    if (json_array_size(val) == 0) {
        return fail(v, path, "must not be an empty list (2.11)");
    }
    return 0;
}

/* hashes (2.7): keys 3-250 of [A-Za-z0-9_-], string values; known algorithms checked. */
static int check_hashes(struct vctx *v, const char *path, const json_t *val)
{
    static const struct {
        const char *name;
        size_t hexlen;
    } algos[] = {{"MD5", 32},      {"SHA-1", 40},    {"SHA-256", 64},
                 {"SHA-512", 128}, {"SHA3-256", 64}, {"SHA3-512", 128}};
    if (!json_is_object(val) || json_object_size(val) == 0) {
        return fail(v, path, "must be a non-empty dictionary of hashes (2.7)");
    }
    const char *key;
    json_t *h;
    json_object_foreach((json_t *)val, key, h)
    {
        size_t n = strlen(key);
        if (n < 3 || n > 250 ||
            strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-_") != n) {
            return fail(v, path, "hash key '%.64s' must be 3-250 of a-z A-Z 0-9 - _ (2.7)", key);
        }
        const char *s = json_string_value(h);
        if (s == NULL) {
            return fail(v, path, "hash '%.64s' must be a string", key);
        }
        for (size_t i = 0; i < BASE_ARRAY_LEN(algos); i++) {
            if (strcmp(key, algos[i].name) == 0 &&
                (strlen(s) != algos[i].hexlen || !hex_valid(s, strlen(s)))) {
                return fail(v, path, "%s must be %zu hex digits", key, algos[i].hexlen);
            }
        }
    }
    return 0;
}

static int check_nested(struct vctx *v, const struct prop *table, const json_t *obj,
                        const char *path);

static int check_value(struct vctx *v, const struct prop *p, const char *path, const json_t *val)
{
    char sub[320];
    size_t i;
    json_t *e;
    switch (p->kind) {
    case PK_STR:
        return json_is_string(val) ? 0 : fail(v, path, "must be a string");
    case PK_TS:
        return check_ts(v, path, val);
    case PK_INT: {
        if (!json_is_integer(val)) {
            return fail(v, path, "must be an integer");
        }
        double d = (double)json_integer_value(val);
        if ((p->lo != 0 || p->hi != 0) && (d < p->lo || d > p->hi)) {
            return fail(v, path, "must be between %.0f and %.0f", p->lo, p->hi);
        }
        return 0;
    }
    case PK_NUM: {
        if (!json_is_number(val)) {
            return fail(v, path, "must be a number");
        }
        double d = json_number_value(val);
        if (d < p->lo || d > p->hi) {
            return fail(v, path, "must be between %g and %g", p->lo, p->hi);
        }
        return 0;
    }
    case PK_BOOL:
        return json_is_boolean(val) ? 0 : fail(v, path, "must be true or false");
    case PK_REF:
        return check_ref(v, path, val, p->arg);
    case PK_REFS:
    case PK_STRS:
    case PK_ENUMS:
    case PK_KCP:
    case PK_OBJS:
        if (check_list(v, path, val) != 0) {
            return -1;
        }
        json_array_foreach(val, i, e)
        {
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            if (p->kind == PK_REFS && check_ref(v, sub, e, p->arg) != 0) {
                return -1;
            }
            if (p->kind == PK_STRS && !json_is_string(e)) {
                return fail(v, sub, "must be a string");
            }
            if (p->kind == PK_ENUMS &&
                (!json_is_string(e) || !enum_has(p->arg, json_string_value(e)))) {
                return fail(v, sub, "must be one of %s", p->arg);
            }
            if (p->kind == PK_OBJS && !json_is_object(e)) {
                return fail(v, sub, "must be an object");
            }
            if (p->kind == PK_OBJS && p->arg != NULL &&
                strcmp(p->arg, "windows-registry-value-type") == 0 &&
                check_nested(v, p_registry_value, e, sub) != 0) {
                return -1;
            }
            if (p->kind == PK_KCP) {
                if (!json_is_object(e) || !json_is_string(json_object_get(e, "kill_chain_name")) ||
                    !json_is_string(json_object_get(e, "phase_name"))) {
                    return fail(v, sub,
                                "a kill-chain-phase needs string kill_chain_name and "
                                "phase_name (2.10)");
                }
            }
        }
        return 0;
    case PK_DICT:
    case PK_OBJ:
        return json_is_object(val) ? 0 : fail(v, path, "must be a dictionary");
    case PK_HASHES:
        return check_hashes(v, path, val);
    case PK_ENUM:
        if (!json_is_string(val) || !enum_has(p->arg, json_string_value(val))) {
            return fail(v, path, "must be one of %s", p->arg);
        }
        return 0;
    case PK_HEX:
        if (!json_is_string(val) || !hex_valid(json_string_value(val), json_string_length(val))) {
            return fail(v, path, "must be hex (2.8)");
        }
        return 0;
    case PK_BIN:
        if (!json_is_string(val) || !b64_valid(json_string_value(val), json_string_length(val))) {
            return fail(v, path, "must be base64 (2.3)");
        }
        return 0;
    case PK_ANY:
        return 0;
    }
    return 0;
}

/* ---- common properties (3.2, 6.1) ---------------------------------------------------- */

static const struct prop p_common[] = {P("spec_version", PK_STR),
                                       P("created", PK_TS),
                                       P("modified", PK_TS),
                                       PA("created_by_ref", PK_REF, "identity"),
                                       P("revoked", PK_BOOL),
                                       P("labels", PK_STRS),
                                       PN("confidence", PK_INT, 0, 100),
                                       P("lang", PK_STR),
                                       P("external_references", PK_OBJS),
                                       PA("object_marking_refs", PK_REFS, "marking-definition"),
                                       P("granular_markings", PK_OBJS),
                                       P("extensions", PK_DICT),
                                       P("defanged", PK_BOOL),
                                       PEND};

/* Walks a granular-marking selector (7.2.3) through the object: "a.b", "a.[2].c". */
static bool selector_resolves(const json_t *obj, const char *sel)
{
    char buf[512];
    if (str_copy(buf, sizeof(buf), sel) != 0 || buf[0] == '\0') {
        return false;
    }
    const json_t *cur = obj;
    char *save = NULL;
    for (char *step = strtok_r(buf, ".", &save); step != NULL; step = strtok_r(NULL, ".", &save)) {
        size_t n = strlen(step);
        if (step[0] == '[' && n >= 3 && step[n - 1] == ']') {
            step[n - 1] = '\0';
            int64_t idx;
            if (!json_is_array(cur) || str_to_i64(step + 1, 0, INT32_MAX, &idx) != 0 ||
                (size_t)idx >= json_array_size(cur)) {
                return false;
            }
            cur = json_array_get(cur, (size_t)idx);
        } else {
            if (!json_is_object(cur) || (cur = json_object_get(cur, step)) == NULL) {
                return false;
            }
        }
    }
    return true;
}

static int check_granular(struct vctx *v, const json_t *list)
{
    size_t i, k;
    json_t *gm, *sel;
    char path[96];
    json_array_foreach(list, i, gm)
    {
        snprintf(path, sizeof(path), "granular_markings[%zu]", i);
        bool lang = json_object_get(gm, "lang") != NULL;
        json_t *ref = json_object_get(gm, "marking_ref");
        if (lang == (ref != NULL)) {
            return fail(v, path, "exactly one of lang or marking_ref is required (7.2.3)");
        }
        if (lang && !json_is_string(json_object_get(gm, "lang"))) {
            return fail(v, path, "lang must be a string");
        }
        if (ref != NULL) {
            char rp[128];
            snprintf(rp, sizeof(rp), "%s.marking_ref", path);
            if (check_ref(v, rp, ref, "marking-definition") != 0) {
                return -1;
            }
        }
        json_t *sels = json_object_get(gm, "selectors");
        char sp[128];
        snprintf(sp, sizeof(sp), "%s.selectors", path);
        if (sels == NULL) {
            return fail(v, sp, "required property missing");
        }
        if (check_list(v, sp, sels) != 0) {
            return -1;
        }
        json_array_foreach(sels, k, sel)
        {
            if (!json_is_string(sel) || !selector_resolves(v->obj, json_string_value(sel))) {
                return fail(v, sp, "selector '%.100s' does not resolve to a property of the object",
                            json_is_string(sel) ? json_string_value(sel) : "(not a string)");
            }
        }
    }
    return 0;
}

static int check_extref(struct vctx *v, const json_t *list)
{
    size_t i;
    json_t *er;
    char path[96];
    json_array_foreach(list, i, er)
    {
        snprintf(path, sizeof(path), "external_references[%zu]", i);
        if (!json_is_string(json_object_get(er, "source_name"))) {
            return fail(v, path, "source_name is a required string (2.5)");
        }
        static const char *const strs[] = {"description", "url", "external_id"};
        for (size_t k = 0; k < 3; k++) {
            json_t *s = json_object_get(er, strs[k]);
            if (s != NULL && !json_is_string(s)) {
                return fail(v, path, "%s must be a string", strs[k]);
            }
        }
        json_t *h = json_object_get(er, "hashes");
        if (h != NULL) {
            char hp[128];
            snprintf(hp, sizeof(hp), "%s.hashes", path);
            if (check_hashes(v, hp, h) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

static int check_extensions(struct vctx *v, const json_t *ext)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)ext, key, val)
    {
        char path[320];
        snprintf(path, sizeof(path), "extensions.%.250s", key);
        if (!json_is_object(val)) {
            return fail(v, path, "an extension must be a dictionary (7.3)");
        }
        if (str_has_prefix(key, "extension-definition--")) {
            json_t *k = json_string(key);
            int rc = check_ref(v, path, k, "extension-definition");
            json_decref(k);
            if (rc != 0) {
                return -1;
            }
            const char *et = jx_str(val, "extension_type");
            if (json_object_get(val, "extension_type") != NULL &&
                (et == NULL || !enum_has("|new-sdo|new-sro|new-sco|property-extension|"
                                         "toplevel-property-extension|",
                                         et))) {
                return fail(v, path, "extension_type is not an extension-type-enum value (10.6)");
            }
            continue;
        }
        for (size_t i = 0; i < BASE_ARRAY_LEN(sco_exts); i++) {
            if (strcmp(key, sco_exts[i].name) != 0) {
                continue;
            }
            const char *type = jx_str(v->obj, "type");
            if (type == NULL || strcmp(type, sco_exts[i].on_type) != 0) {
                return fail(v, path, "%s applies to %s objects only", key, sco_exts[i].on_type);
            }
            if (check_nested(v, sco_exts[i].props, val, path) != 0) {
                return -1;
            }
        }
        if (!type_name_ok(key)) {
            return fail(v, path, "extension names follow the type naming rules (7.3)");
        }
    }
    return 0;
}

/* The custom-property rules of 11.1.1 for a property name that no table defines; path is
 * where it stands ("x_size", "extensions.pdf-ext.x_size"). */
static int check_custom_prop(struct vctx *v, const char *path, const char *name, const json_t *val)
{
    if (!prop_name_ok(name)) {
        return fail(v, path,
                    "custom property names are 3-250 characters of a-z, 0-9 and _ "
                    "(11.1.1)");
    }
    size_t n = strlen(name);
    const char *s = json_string_value(val);
    if (n > 4 && strcmp(name + n - 4, "_hex") == 0 && (s == NULL || !hex_valid(s, strlen(s)))) {
        return fail(v, path, "must be hex (a _hex property, 11.1.1)");
    }
    if (n > 4 && strcmp(name + n - 4, "_bin") == 0 && (s == NULL || !b64_valid(s, strlen(s)))) {
        return fail(v, path, "must be base64 (a _bin property, 11.1.1)");
    }
    return 0;
}

static const struct prop *find_prop(const struct prop *table, const char *name)
{
    for (const struct prop *p = table; p != NULL && p->name != NULL; p++) {
        if (strcmp(p->name, name) == 0) {
            return p;
        }
    }
    return NULL;
}

/* A nested object (a predefined extension, a registry value) against its table: types,
 * required properties, and the custom-property rules for anything else. */
static int check_nested(struct vctx *v, const struct prop *table, const json_t *obj,
                        const char *path)
{
    const char *key;
    json_t *val;
    char sub[512];
    json_object_foreach((json_t *)obj, key, val)
    {
        snprintf(sub, sizeof(sub), "%.250s.%.250s", path, key);
        const struct prop *p = find_prop(table, key);
        if (p == NULL) {
            if (strcmp(key, "extension_type") != 0 && check_custom_prop(v, sub, key, val) != 0) {
                return -1;
            }
        } else if (check_value(v, p, sub, val) != 0) {
            return -1;
        }
    }
    for (const struct prop *p = table; p->name != NULL; p++) {
        if ((p->flags & REQ) && json_object_get(obj, p->name) == NULL) {
            snprintf(sub, sizeof(sub), "%.250s.%.250s", path, p->name);
            return fail(v, sub, "required property missing");
        }
    }
    return 0;
}

static bool is_new_sco_custom(const json_t *obj)
{
    const char *key;
    json_t *val;
    json_object_foreach(json_object_get(obj, "extensions"), key, val)
    {
        const char *et = jx_str(val, "extension_type");
        if (et != NULL && strcmp(et, "new-sco") == 0) {
            return true;
        }
    }
    return false;
}

int stix_validate(const json_t *obj, const char *where, struct err *err)
{
    struct vctx v = {obj, where, err};
    if (!json_is_object(obj)) {
        return fail(&v, "", "a STIX object must be a JSON object");
    }
    const char *type = jx_str(obj, "type");
    if (type == NULL) {
        return fail(&v, "type", "required property missing");
    }
    if (!type_name_ok(type)) {
        return fail(&v, "type",
                    "'%.64s' is not a valid type name: 3-250 characters of a-z, "
                    "0-9 and single hyphens (11.2.1)",
                    type);
    }
    if (strcmp(type, "bundle") == 0) {
        return fail(&v, "type", "a bundle cannot be stored as an object");
    }
    const struct type_rule *rule = rule_of(type);
    enum stix_kind kind = rule ? rule->kind : STIX_CUSTOM;
    bool sco = kind == STIX_SCO || (kind == STIX_CUSTOM && is_new_sco_custom(obj));

    /* id: type--UUID with the object's own type (2.9). */
    json_t *id = json_object_get(obj, "id");
    if (id == NULL) {
        return fail(&v, "id", "required property missing");
    }
    if (check_ref(&v, "id", id, type) != 0) {
        return -1;
    }
    /* spec_version: required except on SCOs, where it is optional (6.1); 2.1 only. */
    const char *sv = jx_str(obj, "spec_version");
    if (sv == NULL && (!sco || has(&v, "spec_version"))) {
        return fail(&v, "spec_version", "required property missing");
    }
    if (sv != NULL && strcmp(sv, "2.1") != 0) {
        return fail(&v, "spec_version", "must be \"2.1\" (this node stores STIX 2.1)");
    }
    /* created/modified (3.2): required on SDOs, SROs, language-content and
     * extension-definition; created on marking-definition; absent on SCOs. */
    bool need_created = !sco;
    bool need_modified = !sco && strcmp(type, "marking-definition") != 0;
    if (sco) {
        static const char *const sdo_only[] = {
            "created", "modified",   "created_by_ref", "revoked",
            "labels",  "confidence", "lang",           "external_references"};
        for (size_t i = 0; i < BASE_ARRAY_LEN(sdo_only); i++) {
            if (kind == STIX_SCO && has(&v, sdo_only[i])) {
                return fail(&v, sdo_only[i], "not a property of a cyber-observable (6.1)");
            }
        }
    }
    if (need_created && !has(&v, "created")) {
        return fail(&v, "created", "required property missing");
    }
    if (need_modified && !has(&v, "modified")) {
        return fail(&v, "modified", "required property missing");
    }
    if (strcmp(type, "extension-definition") == 0 && !has(&v, "created_by_ref")) {
        return fail(&v, "created_by_ref", "required property missing (7.3)");
    }

    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        if (strcmp(key, "type") == 0 || strcmp(key, "id") == 0) {
            continue;
        }
        const struct prop *p = find_prop(p_common, key);
        if (p == NULL && rule != NULL) {
            p = find_prop(rule->props, key);
        }
        if (p == NULL) {
            if (check_custom_prop(&v, key, key, val) != 0) {
                return -1;
            }
            continue;
        }
        if (check_value(&v, p, key, val) != 0) {
            return -1;
        }
    }
    /* created and modified carry at least millisecond precision (3.2). */
    static const char *const versioned[] = {"created", "modified"};
    for (size_t i = 0; i < 2; i++) {
        const char *s = jx_str(obj, versioned[i]);
        ts_us t;
        int digits = 0;
        if (s != NULL && (ts_parse(s, &t, &digits) != 0 || digits < 3)) {
            return fail(&v, versioned[i], "must have at least millisecond precision (3.2)");
        }
    }
    if (order(&v, "created", "modified", false) != 0) {
        return -1;
    }
    if (rule != NULL) {
        for (const struct prop *p = rule->props; p->name != NULL; p++) {
            if ((p->flags & REQ) && !has(&v, p->name)) {
                return fail(&v, p->name, "required property missing");
            }
        }
    }
    if (kind == STIX_CUSTOM) {
        size_t own = 0;
        json_object_foreach((json_t *)obj, key, val)
        {
            own += strcmp(key, "type") != 0 && strcmp(key, "id") != 0 &&
                   find_prop(p_common, key) == NULL;
        }
        if (own == 0) {
            return fail(&v, "", "a custom object needs one or more properties of its own (11.2.1)");
        }
    }
    json_t *gm = json_object_get(obj, "granular_markings");
    if (gm != NULL && check_granular(&v, gm) != 0) {
        return -1;
    }
    json_t *er = json_object_get(obj, "external_references");
    if (er != NULL && check_extref(&v, er) != 0) {
        return -1;
    }
    json_t *ext = json_object_get(obj, "extensions");
    if (ext != NULL && check_extensions(&v, ext) != 0) {
        return -1;
    }
    if (rule != NULL && rule->extra != NULL && rule->extra(&v) != 0) {
        return -1;
    }
    return 0;
}

/* ---- metadata and TLP ------------------------------------------------------------------ */

/* The version of an object with no created or modified (an SCO): TAXII 2.1 section 5.3.1
 * lets the server choose "a value that is consistent"; we use the epoch, so that an SCO's
 * deterministic id has one version and a second copy is a duplicate. */
#define SCO_VERSION_US 0

int stix_meta_of(const json_t *obj, struct stix_meta *m)
{
    memset(m, 0, sizeof(*m));
    const char *id = jx_str(obj, "id"), *type = jx_str(obj, "type");
    if (id == NULL || type == NULL || str_copy(m->id, sizeof(m->id), id) != 0 ||
        str_copy(m->type, sizeof(m->type), type) != 0) {
        return -1;
    }
    const char *ver = jx_str(obj, "modified");
    if (ver == NULL) {
        ver = jx_str(obj, "created");
    }
    if (ver == NULL || ts_parse(ver, &m->version_us, NULL) != 0) {
        m->version_us = SCO_VERSION_US;
        ts_format(m->version_us, 3, m->version);
    } else {
        /* Normalised to microseconds so that "…01Z" and "…01.000Z" are one version. */
        ts_format(m->version_us, m->version_us % 1000 ? 6 : 3, m->version);
    }
    const char *sv = jx_str(obj, "spec_version");
    str_copy(m->spec_version, sizeof(m->spec_version), sv ? sv : "2.1");
    const char *cb = jx_str(obj, "created_by_ref");
    if (cb != NULL) {
        str_copy(m->created_by_ref, sizeof(m->created_by_ref), cb);
    }
    m->revoked = json_is_true(json_object_get(obj, "revoked"));
    m->tlp = stix_tlp_of(obj);
    return 0;
}

static const struct {
    const char *id;
    enum stix_tlp tlp;
} tlp_ids[] = {
    /* TLP 2.0 (OASIS cti-stix-common-objects, extension 60a3c5c5) */
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", STIX_TLP_CLEAR},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", STIX_TLP_GREEN},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", STIX_TLP_AMBER},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", STIX_TLP_AMBER_STRICT},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", STIX_TLP_RED},
    /* TLP 1.0 as defined in STIX 2.1 section 7.2.1.4; WHITE counts as CLEAR */
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", STIX_TLP_CLEAR},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", STIX_TLP_GREEN},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", STIX_TLP_AMBER},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", STIX_TLP_RED},
};

enum stix_tlp stix_tlp_of(const json_t *obj)
{
    enum stix_tlp best = STIX_TLP_UNMARKED;
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(obj, "object_marking_refs"), i, ref)
    {
        const char *s = json_string_value(ref);
        for (size_t k = 0; s != NULL && k < BASE_ARRAY_LEN(tlp_ids); k++) {
            if (strcmp(s, tlp_ids[k].id) == 0 && tlp_ids[k].tlp > best) {
                best = tlp_ids[k].tlp;
            }
        }
    }
    /* A TLP marking-definition object is itself CLEAR: it must be shareable everywhere. */
    if (best == STIX_TLP_UNMARKED) {
        const char *id = jx_str(obj, "id");
        for (size_t k = 0; id != NULL && k < BASE_ARRAY_LEN(tlp_ids); k++) {
            if (strcmp(id, tlp_ids[k].id) == 0) {
                return STIX_TLP_CLEAR;
            }
        }
    }
    return best;
}

static const char *const tlp_names[] = {"UNMARKED", "CLEAR",        "GREEN",
                                        "AMBER",    "AMBER+STRICT", "RED"};

const char *stix_tlp_name(enum stix_tlp tlp)
{
    return tlp_names[tlp];
}

int stix_tlp_parse(const char *s, enum stix_tlp *out)
{
    if (strncasecmp(s, "TLP:", 4) == 0) {
        s += 4;
    }
    if (strcasecmp(s, "WHITE") == 0) {
        *out = STIX_TLP_CLEAR;
        return 0;
    }
    for (int i = STIX_TLP_CLEAR; i <= STIX_TLP_RED; i++) {
        if (strcasecmp(s, tlp_names[i]) == 0) {
            *out = (enum stix_tlp)i;
            return 0;
        }
    }
    return -1;
}

const char *stix_tlp_marking_id(enum stix_tlp tlp)
{
    return tlp == STIX_TLP_UNMARKED ? NULL : tlp_ids[tlp - 1].id;
}

json_t *stix_tlp_marking_object(enum stix_tlp tlp)
{
    static const char *const value[] = {"", "clear", "green", "amber", "amber+strict", "red"};
    if (tlp == STIX_TLP_UNMARKED) {
        return NULL;
    }
    char name[32];
    snprintf(name, sizeof(name), "TLP:%s", tlp_names[tlp]);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s}}}", "type", "marking-definition",
                     "spec_version", "2.1", "id", tlp_ids[tlp - 1].id, "created",
                     "2022-10-01T00:00:00.000Z", "name", name, "extensions",
                     "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d", "extension_type",
                     "property-extension", "tlp_2_0", value[tlp]);
}

json_t *stix_objects_of(json_t *doc, struct err *err)
{
    if (json_is_array(doc)) {
        return json_incref(doc);
    }
    if (json_is_object(doc)) {
        const char *type = jx_str(doc, "type");
        json_t *objs = json_object_get(doc, "objects");
        if (type != NULL && strcmp(type, "bundle") == 0) {
            if (objs == NULL) {
                return json_array(); /* a bundle with no objects */
            }
            if (!json_is_array(objs)) {
                err_set(err, "objects: must be a list");
                return NULL;
            }
            return json_incref(objs);
        }
        if (type == NULL && json_is_array(objs)) {
            return json_incref(objs); /* a TAXII envelope */
        }
    }
    err_set(err, "expected a STIX bundle, a TAXII envelope or a JSON array of objects");
    return NULL;
}

int stix_sco_id(const char *type, const char *canon, char out[STIX_ID_MAX])
{
    static const unsigned char ns[16] = {0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
                                         0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7};
    size_t n = strlen(canon);
    unsigned char *in = malloc(16 + n), digest[20];
    if (in == NULL) {
        return -1;
    }
    memcpy(in, ns, 16);
    memcpy(in + 16, canon, n);
    int rc = gnutls_hash_fast(GNUTLS_DIG_SHA1, in, 16 + n, digest);
    free(in);
    if (rc != 0) {
        return -1;
    }
    char u[UUID_TEXT];
    uuid_from_bytes_v(digest, 5, u);
    return snprintf(out, STIX_ID_MAX, "%s--%s", type, u) < STIX_ID_MAX ? 0 : -1;
}

/* ---- RFC 8785 canonical JSON ------------------------------------------------------------------
 */

static int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

/* The next code point of UTF-8 text (already valid: jansson checked it). */
static uint32_t next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    int n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    c = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    for (int i = 1; i < n && s[i]; i++) {
        c = c << 6 | (s[i] & 0x3f);
    }
    *p = s + n;
    return c;
}

/* Property names sort by their UTF-16 code units (RFC 8785 section 3.2.3): a code point
 * above U+FFFF is a surrogate pair, which sorts below U+E000..U+FFFF. */
static int utf16_cmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    while (*p && *q) {
        uint32_t x = next_cp(&p), y = next_cp(&q);
        uint32_t ux = x > 0xffff ? 0xd800 + ((x - 0x10000) >> 10) : x;
        uint32_t uy = y > 0xffff ? 0xd800 + ((y - 0x10000) >> 10) : y;
        if (ux != uy) {
            return ux < uy ? -1 : 1;
        }
        if (x != y) { /* same high surrogate: compare the low ones */
            uint32_t lx = 0xdc00 + ((x - 0x10000) & 0x3ff), ly = 0xdc00 + ((y - 0x10000) & 0x3ff);
            return lx < ly ? -1 : 1;
        }
    }
    return *p ? 1 : *q ? -1 : 0;
}

static int canon_string(struct buf *b, const char *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    if (buf_reserve(b, n + 2) != 0 || buf_putc(b, '"') != 0) {
        return -1;
    }
    /* runs that need no escape go in whole (perf: one call a character was 3% of a pull) */
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                                      : NULL;
        char u[7] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15], 0};
        if (buf_append(b, s + run, i - run) != 0 || buf_puts(b, esc != NULL ? esc : u) != 0) {
            return -1;
        }
        run = i + 1;
    }
    return buf_append(b, s + run, n - run) != 0 ? -1 : buf_putc(b, '"');
}

/* A double as ECMAScript's Number.prototype.toString writes it (RFC 8785 section 3.2.2.3):
 * the shortest digits that read back to the same double, fixed notation for exponents from
 * -7 to 20, exponential otherwise. */
static int canon_number(struct buf *b, double d)
{
    if (d == 0) {
        return buf_putc(b, '0'); /* also -0 */
    }
    char e[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, d);
        if (strtod(e, NULL) == d) {
            break;
        }
    }
    /* e is [-]D[.DDD]e[+-]XX: digits and exponent */
    bool neg = e[0] == '-';
    char digits[24];
    size_t nd = 0;
    const char *p = e + neg;
    for (; *p && *p != 'e'; p++) {
        if (*p != '.') {
            digits[nd++] = *p;
        }
    }
    while (nd > 1 && digits[nd - 1] == '0') {
        nd--;
    }
    int64_t exp = 0;
    const char *ex = p[1] == '+' ? p + 2 : p + 1;
    if (str_to_i64(ex, -400, 400, &exp) != 0) {
        return -1;
    }
    int n = (int)exp + 1; /* the decimal point after n digits */
    struct buf *o = b;
    if (neg && buf_putc(o, '-') != 0) {
        return -1;
    }
    int rc = 0;
    if ((int)nd <= n && n <= 21) {
        rc = buf_append(o, digits, nd);
        for (int i = (int)nd; i < n && rc == 0; i++) {
            rc = buf_putc(o, '0');
        }
    } else if (0 < n && n <= 21) {
        rc = buf_append(o, digits, (size_t)n) || buf_putc(o, '.') ||
             buf_append(o, digits + n, nd - (size_t)n);
    } else if (-6 < n && n <= 0) {
        rc = buf_puts(o, "0.");
        for (int i = 0; i < -n && rc == 0; i++) {
            rc = buf_putc(o, '0');
        }
        rc = rc || buf_append(o, digits, nd);
    } else {
        rc = buf_putc(o, digits[0]) ||
             (nd > 1 && (buf_putc(o, '.') || buf_append(o, digits + 1, nd - 1))) ||
             buf_printf(o, "e%c%d", n - 1 < 0 ? '-' : '+', n - 1 < 0 ? 1 - n : n - 1);
    }
    return rc;
}

struct member {
    const char *key;
    const json_t *value;
};

static int cmp_members(const void *a, const void *b)
{
    return utf16_cmp(((const struct member *)a)->key, ((const struct member *)b)->key);
}

/* An object's members, sorted; skip (when not NULL) is left out. Most STIX objects have
 * few members: a stack array then, the heap beyond. */
static int canon_object(const json_t *v, struct buf *b, const char *skip, const char *skip_in)
{
    struct member stack[32], *m = stack;
    size_t n = json_object_size(v), i = 0;
    if (n > 32 && (m = malloc(n * sizeof(*m))) == NULL) {
        return -1;
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        if (skip != NULL && strcmp(k, skip) == 0) {
            continue;
        }
        /* skip_in: the member of "extensions" left out; "extensions" goes if that empties it */
        if (skip_in != NULL && strcmp(k, "extensions") == 0 && json_is_object(x) &&
            json_object_size(x) == 1 && json_object_get(x, skip_in) != NULL) {
            continue;
        }
        m[i++] = (struct member){k, x};
    }
    n = i;
    qsort(m, n, sizeof(*m), cmp_members);
    int rc = buf_putc(b, '{');
    for (i = 0; i < n && rc == 0; i++) {
        rc = (i > 0 && buf_putc(b, ',')) || canon_string(b, m[i].key, strlen(m[i].key)) ||
             buf_putc(b, ':') ||
             (skip_in != NULL && strcmp(m[i].key, "extensions") == 0 && json_is_object(m[i].value)
                  ? canon_object(m[i].value, b, skip_in, NULL)
                  : stix_canonical(m[i].value, b));
    }
    if (m != stack) {
        free(m);
    }
    return rc || buf_putc(b, '}');
}

int stix_canonical_without(const json_t *obj, const char *ext, struct buf *b)
{
    return json_is_object(obj) ? canon_object(obj, b, NULL, ext) : stix_canonical(obj, b);
}

int stix_canonical(const json_t *v, struct buf *b)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return canon_object(v, b, NULL, NULL);
    case JSON_ARRAY: {
        int rc = buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v) && rc == 0; i++) {
            rc = (i > 0 && buf_putc(b, ',')) || stix_canonical(json_array_get(v, i), b);
        }
        return rc || buf_putc(b, ']');
    }
    case JSON_STRING:
        return canon_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        /* JSON numbers are doubles to RFC 8785: beyond 2^53 an integer is written as the
         * double it reads as */
        json_int_t i = json_integer_value(v);
        if (i > ((json_int_t)1 << 53) || i < -((json_int_t)1 << 53)) {
            return canon_number(b, (double)i);
        }
        return buf_printf(b, "%" JSON_INTEGER_FORMAT, i);
    }
    case JSON_REAL:
        return canon_number(b, json_real_value(v));
    case JSON_TRUE:
        return buf_puts(b, "true");
    case JSON_FALSE:
        return buf_puts(b, "false");
    default:
        return buf_puts(b, "null");
    }
}
