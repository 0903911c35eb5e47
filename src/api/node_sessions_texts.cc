// NodeSessions: the source and upgrade principal of sessions that have not
// registered yet, in one arena (texts_). A burst of 19,000 upgrades that
// name their principal would otherwise allocate a block per connection and
// leave ~600 B per node of freed, fragmented heap behind after registration
// (tests/hostile test_6 bounds the cost of a waiting connection).
#include "api/node_sessions.h"

namespace sela::api {

namespace {

// texts_ is compacted once its garbage passes this and its live bytes.
constexpr uint64_t kTextGarbageBytesMax = 64 * 1024;

void AppendSized(std::string& out, std::string_view text) {
  out.push_back(static_cast<char>(text.size() >> 8));
  out.push_back(static_cast<char>(text.size() & 0xff));
  out.append(text);
}

uint32_t SizeAt(std::string_view head) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(head[0])) << 8) | static_cast<uint8_t>(head[1]);
}

// The stored form's parts, read in place.
struct Texts {
  std::string_view source;
  uint8_t named = 0;  // NodeSessions::Named
  std::string_view principal;
  uint32_t bytes = 0;  // Of the whole stored form.
};

Texts Read(const nodes::TextArena& arena, nodes::TextArena::Ref ref) {
  Texts t;
  const uint32_t source_bytes = SizeAt(arena.Get(ref, 2));
  const std::string_view head = arena.Get(ref, 2 + source_bytes + 3);
  t.source = head.substr(2, source_bytes);
  t.named = static_cast<uint8_t>(head[2 + source_bytes]);
  const uint32_t principal_bytes = SizeAt(head.substr(3 + source_bytes));
  t.bytes = 5 + source_bytes + principal_bytes;
  t.principal = arena.Get(ref, t.bytes).substr(5 + source_bytes);
  return t;
}

}  // namespace

void NodeSessions::SetTexts(Session& s, std::string_view source, std::optional<std::string_view> principal,
                            Named named) {
  // A principal longer than allowed is refused with the same message
  // whatever follows, so only one byte past the limit is kept.
  const std::string_view text =
      principal ? principal->substr(0, options_.decode.principal_id_bytes_max + 1) : std::string_view();
  std::string stored;
  stored.reserve(5 + source.size() + text.size());
  AppendSized(stored, source.substr(0, 255));
  stored.push_back(static_cast<char>(principal ? named : Named::kNone));
  AppendSized(stored, text);
  DropTexts(s);  // After the copy: source and principal may be views of it.
  const nodes::TextArena::Ref ref = texts_.Add(stored);
  if (ref == nodes::TextArena::kNoRef) return;  // Arena full: as if unknown.
  s.node = ref;
  s.has_texts = true;
}

std::string NodeSessions::SourceOf(const Session& s) const {
  if (!s.has_texts) return SourceKey(server_->PeerAddress(IdOf(s)));
  return std::string(Read(texts_, s.node).source);
}

std::optional<std::string> NodeSessions::ConnectionPrincipalOf(const Session& s) const {
  if (!s.has_texts) return std::nullopt;
  const Texts t = Read(texts_, s.node);
  if (t.named != static_cast<uint8_t>(Named::kConnection)) return std::nullopt;
  return std::string(t.principal);
}

std::string NodeSessions::PrincipalOf(const Session& s) const {
  if (!s.has_texts) return {};
  const Texts t = Read(texts_, s.node);
  return t.named == static_cast<uint8_t>(Named::kNone) ? std::string() : std::string(t.principal);
}

void NodeSessions::ForgetFramePrincipal(Session& s) {
  if (!s.has_texts) return;
  const Texts t = Read(texts_, s.node);
  if (t.named != static_cast<uint8_t>(Named::kFrame)) return;
  SetTexts(s, std::string(t.source), std::nullopt, Named::kNone);
}

void NodeSessions::DropTexts(Session& s) {
  if (!s.has_texts) return;
  texts_.Release(Read(texts_, s.node).bytes);
  s.has_texts = false;
  s.node = nodes::kNoNode;
  if (texts_.garbage_bytes() < kTextGarbageBytesMax || texts_.garbage_bytes() < texts_.live_bytes()) return;
  // Copy the live texts into a fresh arena; the old chunks go.
  nodes::TextArena fresh;
  for (Session& other : sessions_) {
    if (!other.has_texts) continue;
    const Texts t = Read(texts_, other.node);
    std::string stored;
    AppendSized(stored, t.source);
    stored.push_back(static_cast<char>(t.named));
    AppendSized(stored, t.principal);
    other.node = fresh.Add(stored);
  }
  texts_ = std::move(fresh);
}

}  // namespace sela::api
