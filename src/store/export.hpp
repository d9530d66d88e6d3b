#pragma once
// What `infbench export` writes: rows of a results database as CSV or JSON Lines. Points come from
// ResultStore::point_rows; studies (docs/ensembles.md) are made into rows here.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "database.hpp"

namespace infbench {

// format "csv": a header naming every column that any row has (first-seen order), then one line
// per row, empty where a row lacks the column. format "jsonl": each row whole on its own line.
void write_rows(const nlohmann::ordered_json& rows, const std::string& format, std::ostream& out);

// One row per study of `run` (every run when nullopt): run_id, kind, name, host and stored_at of
// its run, then its summary, whole under "summary" (flat = false), or one column per scalar
// (flat = true, for CSV; see flatten_scalars). Throws not_found when there is no study to export.
nlohmann::ordered_json study_export_rows(ResultStore& store, const std::string& db_name,
                                         std::optional<std::int64_t> run, bool flat);

// A JSON document as scalar columns named by their path: object keys joined with '.', and an
// array of objects indexed by the field that names its elements ("batches[batch_size=8]",
// "members[name=resnet50]"), or by position ("[0]") when no field names every one of them
// distinctly. Arrays of scalars stay one cell (JSON text).
void flatten_scalars(const nlohmann::json& value, const std::string& path,
                     nlohmann::ordered_json& row);

}  // namespace infbench
