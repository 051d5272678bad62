#pragma once
// Converting keepalived.conf, internal to config/: keepalived_import.cpp reads the file and
// converts global_defs, keepalived_vrrp.cpp the VRRP blocks, keepalived_services.cpp the
// virtual servers; this is what they share.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keepalived_parse.hpp"

namespace directord::config::detail {

// A YAML double-quoted string.
std::string yaml_string(const std::string& s);
// keepalived's seconds ("1", "0.5") as a directord duration ("1s", "500ms").
std::string seconds(const std::string& value);
std::string lower(std::string s);
// A shell command as argv: split when it is a plain command, through /bin/sh -c when it uses
// the shell (keepalived ran every script through a shell).
std::string argv_of(const std::string& command, bool& through_shell);

// What was not converted, or changes meaning, told with its file and line.
class ImportNotes {
  public:
    explicit ImportNotes(std::vector<ImportNote>& notes) : notes_(notes) {}
    void note(const Statement& s, std::string message);
    void skip(const Statement& s, const std::string& why = "");
    // A setting with no counterpart (keepalived's per-state hooks: the notify program).
    void skip_setting(const Statement& s);

  private:
    std::vector<ImportNote>& notes_;
};

// A track_file (vrrp_track_file) block, which VRRP instances and FILE_CHECKs name.
struct TrackFile {
    std::string path;
    std::string weight = "0";
    bool reverse = false;
};
using TrackFiles = std::map<std::string, TrackFile>;
TrackFile read_track_file(const Statement& block, ImportNotes& notes);

// vrrp_script, vrrp_instance and vrrp_sync_group blocks, converted in the file's order
// (scripts first: instances name them).
class VrrpConverter {
  public:
    VrrpConverter(ImportNotes& notes, const TrackFiles& files) : notes_(notes), files_(files) {}
    std::string default_version = "2";  // global_defs' vrrp_version

    void script(const Statement& block);
    void instance(const Statement& block);
    void sync_group(const Statement& block);
    // The vrrp: section, or "" when there was nothing to convert.
    std::string yaml() const;

  private:
    struct Script {
        std::string command;
        std::string interval = "1", timeout, fall, rise;
        int weight = 0;
        std::optional<std::string> down_file;
    };
    void vip(const Statement& v, std::vector<std::string>& vips);
    void track_script(const Statement& t, std::vector<std::string>& scripts,
                      std::vector<std::string>& files);

    ImportNotes& notes_;
    std::map<std::string, Script> scripts_;
    const TrackFiles& files_;
    std::string interface_;  // of the instance being converted
    std::string instances_, groups_;
};

// virtual_server_group blocks by name, each as the flow list of its `group:` entries.
using ServiceGroups = std::map<std::string, std::string>;
std::string convert_group(const Statement& block, ImportNotes& notes);

// A virtual_server block as one entry of virtual_servers: (YAML lines), or "" when it cannot
// be converted.
std::string convert_virtual_server(const Statement& block, const TrackFiles& files,
                                   const ServiceGroups& groups, ImportNotes& notes);

}  // namespace directord::config::detail
