#pragma once
// What operators changed at run time and a reload or a restart must not undo: the weights set
// by `directorctl drain|undrain|weight`. Kept in a small JSON file, written after every change
// (to a temporary file, synced, renamed over the old one: a crash leaves the old or the new
// file, never half of one) and read at start.
#include <optional>
#include <string>
#include <variant>

#include "directord/ipvs/desired.hpp"
#include "directord/ipvs/programmer.hpp"

namespace directord::daemon {

using OperatorWeights = ipvs::DesiredState::OperatorWeights;

// The file's text, and back; a text that is not such a file is told why.
std::string format_operator_state(const OperatorWeights& weights);
std::variant<OperatorWeights, std::string> parse_operator_state(const std::string& text);

class OperatorStateFile {
  public:
    explicit OperatorStateFile(std::string path) : path_(std::move(path)) {}
    const std::string& path() const { return path_; }

    // The weights the file holds: none when it does not exist; an error text when it cannot be
    // read or is not such a file.
    std::variant<OperatorWeights, std::string> read();
    // Writes `weights` unless the file already holds them; an error text when it could not.
    std::optional<std::string> write(const OperatorWeights& weights);

  private:
    std::string path_;
    std::optional<std::string> written_;  // the text the file holds, once known
};

// At start, after the first configuration is applied: the file's weights given back to `ipvs`,
// each logged (those of real servers no longer configured, as forgotten). Returns whether
// the file could be read; when it cannot, that is logged and the file is left as it is
// until an operator changes a weight.
bool restore_operator_weights(OperatorStateFile& file, ipvs::Programmer& ipvs);
// After every change (a command, a reload that forgot some): the file follows `ipvs`; a
// failure is logged.
void keep_operator_weights(OperatorStateFile& file, const ipvs::Programmer& ipvs);

}  // namespace directord::daemon
