// xml_check: a minimal XML reader for the SVG tests: it checks that tags
// nest and close, attributes are quoted, and '<' / '&' appear only as markup
// or entities, and returns the elements so tests can query them. Enough for
// the SVG edgepipe writes (no DTD, CDATA or processing instructions).
#pragma once

#include <cctype>
#include <map>
#include <string>
#include <vector>

namespace edgepipe::test {

struct xml_element {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text; // character data directly inside, entities left as written
  int parent = -1;
};

struct xml_document {
  std::vector<xml_element> elements; // in document order
  std::string error;                 // empty when the text is well-formed
};

inline bool xml_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
         c == '.';
}

// '&' must start one of the five predefined entities or a character reference.
inline bool xml_entity_ok(const std::string& s, size_t amp) {
  size_t semi = s.find(';', amp);
  if (semi == std::string::npos || semi - amp > 8) return false;
  std::string e = s.substr(amp + 1, semi - amp - 1);
  return e == "amp" || e == "lt" || e == "gt" || e == "quot" || e == "apos" ||
         (!e.empty() && e[0] == '#');
}

inline xml_document parse_xml(const std::string& s) {
  xml_document doc;
  std::vector<int> open;
  size_t i = 0;
  auto fail = [&](const std::string& what) {
    doc.error = what + " at offset " + std::to_string(i);
    return doc;
  };
  while (i < s.size()) {
    if (s[i] != '<') {
      if (s[i] == '&' && !xml_entity_ok(s, i)) return fail("bare '&'");
      if (!open.empty())
        doc.elements[open.back()].text += s[i];
      else if (!std::isspace(static_cast<unsigned char>(s[i])))
        return fail("text outside the root");
      ++i;
      continue;
    }
    if (s.compare(i, 2, "</") == 0) {
      size_t end = s.find('>', i);
      if (end == std::string::npos) return fail("unterminated end tag");
      std::string name = s.substr(i + 2, end - i - 2);
      if (open.empty() || doc.elements[open.back()].name != name)
        return fail("end tag </" + name + "> does not match");
      open.pop_back();
      i = end + 1;
      continue;
    }
    if (open.empty() && !doc.elements.empty()) return fail("a second root element");
    xml_element e;
    e.parent = open.empty() ? -1 : open.back();
    size_t j = i + 1;
    while (j < s.size() && xml_name_char(s[j])) e.name += s[j++];
    if (e.name.empty()) return fail("'<' not starting a tag");
    bool self_closing = false;
    for (;;) {
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j >= s.size()) return fail("unterminated tag <" + e.name);
      if (s[j] == '>') {
        ++j;
        break;
      }
      if (s.compare(j, 2, "/>") == 0) {
        self_closing = true;
        j += 2;
        break;
      }
      std::string attr;
      while (j < s.size() && xml_name_char(s[j])) attr += s[j++];
      if (attr.empty() || j + 1 >= s.size() || s[j] != '=' || s[j + 1] != '"')
        return fail("malformed attribute in <" + e.name);
      size_t close = s.find('"', j + 2);
      if (close == std::string::npos) return fail("unterminated attribute " + attr);
      std::string value = s.substr(j + 2, close - j - 2);
      if (value.find('<') != std::string::npos) return fail("'<' in attribute " + attr);
      for (size_t k = value.find('&'); k != std::string::npos; k = value.find('&', k + 1))
        if (!xml_entity_ok(value, k)) return fail("bare '&' in attribute " + attr);
      if (!e.attributes.emplace(attr, value).second) return fail("duplicate attribute " + attr);
      j = close + 1;
    }
    doc.elements.push_back(e);
    if (!self_closing) open.push_back(static_cast<int>(doc.elements.size()) - 1);
    i = j;
  }
  if (!open.empty()) {
    i = s.size();
    return fail("<" + doc.elements[open.back()].name + "> not closed");
  }
  if (doc.elements.empty()) return fail("no element");
  return doc;
}

} // namespace edgepipe::test
