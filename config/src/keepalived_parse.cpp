#include "keepalived_parse.hpp"

#include <fmt/format.h>
#include <glob.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace directord::config::detail {
namespace {

// ---- Reading: tokens with their place, includes spliced in ----------------------------------

struct Token {
    std::string text;
    const std::string* file;
    int line;
    bool quoted = false;
};

class Lexer {
  public:
    explicit Lexer(std::vector<ImportNote>& notes) : notes_(notes) {}

    bool read(const std::string& path, int depth = 0) {
        // Regular files only, of a sane size: an include of /dev/zero or a FIFO would never end.
        std::error_code ec;
        auto status = std::filesystem::status(path, ec);
        if (std::filesystem::exists(status) &&
            (!std::filesystem::is_regular_file(status) ||
             std::filesystem::file_size(path, ec) > kMaxFileSize)) {
            notes_.push_back({path, 0, false, "not a regular file of at most 16 MiB: not read"});
            return false;
        }
        std::ifstream in(path);
        if (!in) {
            notes_.push_back({path, 0, false, "cannot read the file"});
            return false;
        }
        const std::string* file = &*files_.insert(path).first;
        read_.insert(std::filesystem::weakly_canonical(path).string());
        std::string text;
        int number = 0;
        while (std::getline(in, text)) {
            ++number;
            auto line = split(text, file, number);
            if (!line.empty() && line[0].text == "include" && !line[0].quoted) {
                include(line, path, depth);
                continue;
            }
            tokens_.insert(tokens_.end(), line.begin(), line.end());
            if (tokens_.size() > kMaxTokens) {
                notes_.push_back({path, number, false, "too large to convert: stopped here"});
                break;
            }
        }
        return true;
    }
    std::vector<Token>& tokens() { return tokens_; }

  private:
    // keepalived: '#' and '!' start comments, braces are words of their own, "..." quotes.
    static std::vector<Token> split(const std::string& text, const std::string* file, int line) {
        std::vector<Token> out;
        std::size_t i = 0;
        while (i < text.size()) {
            char c = text[i];
            if (std::isspace(static_cast<unsigned char>(c))) {
                ++i;
            } else if (c == '#' || c == '!') {
                break;
            } else if (c == '{' || c == '}') {
                out.push_back({std::string(1, c), file, line});
                ++i;
            } else if (c == '"') {
                auto end = text.find('"', i + 1);
                if (end == std::string::npos) end = text.size();
                out.push_back({text.substr(i + 1, end - i - 1), file, line, true});
                i = end + 1;
            } else {
                auto end = i;
                while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
                       text[end] != '{' && text[end] != '}')
                    ++end;
                out.push_back({text.substr(i, end - i), file, line});
                i = end;
            }
        }
        return out;
    }

    void include(const std::vector<Token>& line, const std::string& from, int depth) {
        if (line.size() < 2 || depth > 8) {
            notes_.push_back(
                {*line[0].file, line[0].line, false, "include: no file, or nested too deep"});
            return;
        }
        std::filesystem::path pattern(line[1].text);
        if (pattern.is_relative()) pattern = std::filesystem::path(from).parent_path() / pattern;
        glob_t found{};
        if (::glob(pattern.c_str(), 0, nullptr, &found) != 0 || found.gl_pathc == 0) {
            notes_.push_back(
                {*line[0].file, line[0].line, false, "include " + line[1].text + ": no such file"});
        } else {
            for (std::size_t k = 0; k < found.gl_pathc; ++k) {
                // Each file once: a file that includes itself, directly or through others
                // (`include *.conf` in its own directory), would be read again and again.
                std::string name = found.gl_pathv[k];
                if (read_.contains(std::filesystem::weakly_canonical(name).string()))
                    notes_.push_back({*line[0].file, line[0].line, false,
                                      "include " + name +
                                          ": already read (an include cycle, or included twice): "
                                          "skipped"});
                else if (++included_ > kMaxFiles)
                    notes_.push_back({*line[0].file, line[0].line, false,
                                      "include " + name + ": too many files included: skipped"});
                else
                    read(name, depth + 1);
            }
        }
        globfree(&found);
    }

    static constexpr std::size_t kMaxFiles = 1000;
    static constexpr std::uintmax_t kMaxFileSize = 16 << 20;
    static constexpr std::size_t kMaxTokens = 10'000'000;

    std::vector<ImportNote>& notes_;
    std::set<std::string> files_;  // stable storage for Token::file
    std::set<std::string> read_;   // every file read, by canonical path
    std::size_t included_ = 0;
    std::vector<Token> tokens_;
};

// ---- Parsing: keyword, arguments on its line, and an optional { block } ---------------------

// ---- Parsing: keyword, arguments on its line, and an optional { block } ---------------------

// Deeper blocks than keepalived.conf ever has are skipped whole, not recursed into.
constexpr int kMaxNesting = 32;

// Moves `i` past the block whose '{' it just passed.
void skip_block(const std::vector<Token>& tokens, std::size_t& i) {
    for (int open = 1; i < tokens.size() && open > 0; ++i) {
        if (tokens[i].quoted) continue;
        open += tokens[i].text == "{" ? 1 : tokens[i].text == "}" ? -1 : 0;
    }
}

std::vector<Statement> parse(const std::vector<Token>& tokens, std::size_t& i, bool nested,
                             std::vector<ImportNote>& notes, int depth = 0) {
    std::vector<Statement> out;
    if (depth > kMaxNesting) {
        notes.push_back({*tokens[i - 1].file, tokens[i - 1].line, false,
                         fmt::format("blocks nested more than {} deep: skipped", kMaxNesting)});
        skip_block(tokens, i);
        return out;
    }
    while (i < tokens.size()) {
        const Token& t = tokens[i];
        if (t.text == "}" && !t.quoted) {
            ++i;
            if (nested) return out;
            notes.push_back({*t.file, t.line, false, "a '}' closes nothing"});
            continue;
        }
        if (t.text == "{" && !t.quoted) {  // a block without a keyword: keep its lines
            ++i;
            auto inner = parse(tokens, i, true, notes, depth + 1);
            out.insert(out.end(), inner.begin(), inner.end());
            continue;
        }
        Statement s{t.text, {}, *t.file, t.line, false, {}};
        ++i;
        while (i < tokens.size() && tokens[i].line == t.line && tokens[i].file == t.file &&
               !((tokens[i].text == "{" || tokens[i].text == "}") && !tokens[i].quoted))
            s.args.push_back(tokens[i++].text);
        if (i < tokens.size() && tokens[i].text == "{" && !tokens[i].quoted) {
            ++i;
            s.block = true;
            s.children = parse(tokens, i, true, notes, depth + 1);
        }
        out.push_back(std::move(s));
    }
    if (nested && !tokens.empty())
        notes.push_back({*tokens.back().file, tokens.back().line, false, "a '{' is never closed"});
    return out;
}

}  // namespace

std::optional<std::vector<Statement>> read_statements(const std::string& path,
                                                      std::vector<ImportNote>& notes) {
    Lexer lexer(notes);
    if (!lexer.read(path)) return std::nullopt;
    std::size_t i = 0;
    return parse(lexer.tokens(), i, false, notes);
}

}  // namespace directord::config::detail
