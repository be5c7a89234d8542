#include "gateway/routes.h"

const struct router_entry routes_table[] = {
    {"GET", "/healthz", ROUTER_PUBLIC, ROUTER_BODY_NONE, "healthz", h_healthz},
    {"GET", "/metrics", ROUTER_PUBLIC, ROUTER_BODY_NONE, "metrics", h_metrics},
    {"POST", "/v1/datasets", ROUTER_SIGNED, ROUTER_BODY_JSON, "dataset_create",
     h_dataset_create},
    {"GET", "/v1/datasets", ROUTER_PUBLIC, ROUTER_BODY_NONE, "dataset_list",
     h_dataset_list},
    {"GET", "/v1/datasets/{id}", ROUTER_OPTIONAL, ROUTER_BODY_NONE, "dataset_get",
     h_dataset_get},
    {"DELETE", "/v1/datasets/{id}", ROUTER_SIGNED, ROUTER_BODY_NONE, "dataset_delete",
     h_dataset_delete},
    {"PUT", "/v1/datasets/{id}/price", ROUTER_SIGNED, ROUTER_BODY_JSON,
     "dataset_price", h_dataset_price},
    {"POST", "/v1/datasets/{id}/publish", ROUTER_SIGNED, ROUTER_BODY_JSON,
     "dataset_publish", h_dataset_publish},
    {"PUT", "/v1/datasets/{id}/parts/{n}", ROUTER_SIGNED, ROUTER_BODY_RAW, "part_put", h_part_put},
    {"GET", "/v1/datasets/{id}/parts", ROUTER_SIGNED, ROUTER_BODY_NONE, "part_list",
     h_part_list},
    {"GET", "/v1/datasets/{id}/chunks", ROUTER_OPTIONAL, ROUTER_BODY_NONE, "chunks",
     h_chunks},
    {"GET", "/v1/objects/{object_id}", ROUTER_PUBLIC, ROUTER_BODY_NONE, "object", h_object},
    {"GET", "/v1/chain", ROUTER_PUBLIC, ROUTER_BODY_NONE, "chain", h_chain},
    {"GET", "/v1/payments/{tx_hash}", ROUTER_PUBLIC, ROUTER_BODY_NONE, "payment",
     h_payment},
    {"GET", "/", ROUTER_PUBLIC, ROUTER_BODY_NONE, "web", h_web},
    {"GET", "/{file}", ROUTER_PUBLIC, ROUTER_BODY_NONE, "web", h_web},
};

const size_t routes_count = sizeof routes_table / sizeof routes_table[0];
