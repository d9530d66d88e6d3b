#pragma once
// Output files of the commands that write records and tables (bench, ensemble): refused before any
// work when their folder is not writable, written whole or not at all.
#include <string>

namespace infbench::cli {

// Throws Error(io) "FLAG FILE: directory is missing or not writable"; an empty file is no output.
void check_writable(const std::string& flag, const std::string& file);
// Writes through FILE.tmp and a rename; throws Error(io) "FLAG FILE: write failed".
void write_atomically(const std::string& flag, const std::string& file, const std::string& text);

}  // namespace infbench::cli
