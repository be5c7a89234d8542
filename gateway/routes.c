#include "gateway/routes.h"

/* Every route, as data (DESIGN.md 3.9): method, pattern, signature,
 * body, the name metrics and logs use, the handler, and flags. */
#define P ROUTER_PUBLIC
#define O ROUTER_OPTIONAL
#define S ROUTER_SIGNED
#define NONE ROUTER_BODY_NONE
#define JSON ROUTER_BODY_JSON
#define RAW ROUTER_BODY_RAW

const struct router_entry routes_table[] = {
    {"GET", "/healthz", P, NONE, "healthz", h_healthz, 0},
    {"GET", "/metrics", P, NONE, "metrics", h_metrics, 0},
    {"POST", "/v1/datasets", S, JSON, "dataset_create", h_dataset_create, 0},
    {"GET", "/v1/datasets", P, NONE, "dataset_list", h_dataset_list, 0},
    {"GET", "/v1/datasets/{id}", O, NONE, "dataset_get", h_dataset_get, 0},
    {"DELETE", "/v1/datasets/{id}", S, NONE, "dataset_delete",
     h_dataset_delete, 0},
    {"PUT", "/v1/datasets/{id}/price", S, JSON, "dataset_price",
     h_dataset_price, 0},
    {"POST", "/v1/datasets/{id}/publish", S, JSON, "dataset_publish",
     h_dataset_publish, 0},
    {"PUT", "/v1/datasets/{id}/parts/{n}", S, RAW, "part_put", h_part_put, 0},
    {"GET", "/v1/datasets/{id}/parts", S, NONE, "part_list", h_part_list, 0},
    {"GET", "/v1/datasets/{id}/chunks", O, NONE, "chunks", h_chunks, 0},
    {"POST", "/v1/datasets/{id}/queries", S, JSON, "query", h_query,
     ROUTER_PREPARE},
    {"POST", "/v1/datasets/{id}/quote", O, JSON, "quote", h_quote,
     ROUTER_READ_ONLY},
    {"GET", "/v1/objects/{object_id}", P, NONE, "object", h_object, 0},
    {"GET", "/v1/chain", P, NONE, "chain", h_chain, 0},
    {"GET", "/v1/payments/{tx_hash}", P, NONE, "payment", h_payment, 0},
    {"GET", "/v1/audit/head", P, NONE, "audit_head", h_audit_head, 0},
    {"GET", "/v1/accounts/{address}", O, NONE, "account", h_account, 0},
    {"GET", "/v1/owners/{address}/earnings", O, NONE, "earnings",
     h_earnings, 0},
    {"GET", "/v1/session/nonce", P, NONE, "session_nonce", h_session_nonce,
     0},
    {"POST", "/v1/session", P, JSON, "session_create", h_session_create, 0},
    {"GET", "/v1/session", P, NONE, "session_get", h_session_get, 0},
    {"DELETE", "/v1/session", P, NONE, "session_delete", h_session_delete,
     0},
    {"GET", "/", P, NONE, "web", h_web, 0},
    {"GET", "/{file}", P, NONE, "web", h_web, 0},
};

const size_t routes_count = sizeof routes_table / sizeof routes_table[0];
