#pragma once
// `infbench report`: a self-contained HTML page (Chart.js and the data inlined; works offline,
// opened from disk) with the paper's figures and more, built from a results database.
#include <cstdint>
#include <filesystem>
#include <optional>

#include "store/database.hpp"

namespace infbench {

// Writes DIR/index.html and DIR/data.json; returns the page's path.
std::filesystem::path write_html_report(ResultStore& store, std::optional<std::int64_t> run,
                                        const std::filesystem::path& out_dir);

}  // namespace infbench
