#include "runtime/sim_http.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace minik8s::runtime {

namespace {

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 405:
      return "Not Allowed";
    case 413:
      return "Request Entity Too Large";
  }
  return "Error";
}

// Minimal HTML escaping for names shown in the page (they are DNS labels,
// but the page must not break whatever they hold).
std::string Html(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HttpDate(absl::Time now) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", now, absl::UTCTimeZone());
}

HttpResponse Build(int status, absl::string_view content_type, std::string body, bool head_only,
                   bool close, const HttpServerIdentity& who, absl::Time now) {
  HttpResponse r;
  r.status = status;
  r.close = close;
  r.body_bytes = head_only ? 0 : static_cast<int64_t>(body.size());
  r.bytes = absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\nServer: nginx/",
                         who.nginx_version, "\r\nDate: ", HttpDate(now),
                         "\r\nContent-Type: ", content_type, "\r\nContent-Length: ", body.size(),
                         "\r\nConnection: ", close ? "close" : "keep-alive", "\r\n\r\n");
  if (!head_only) r.bytes += body;
  return r;
}

std::string ErrorPage(int status, const HttpServerIdentity& who) {
  const std::string title = absl::StrCat(status, " ", ReasonPhrase(status));
  return absl::StrCat("<html>\r\n<head><title>", title, "</title></head>\r\n<body>\r\n<center><h1>",
                      title, "</h1></center>\r\n<hr><center>nginx/", who.nginx_version,
                      "</center>\r\n</body>\r\n</html>\r\n");
}

}  // namespace

std::optional<HttpRequestHead> ParseHttpRequestHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  // A tolerant reader accepts bare LF line ends too.
  if (lines.size() == 1) lines = absl::StrSplit(head, '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return std::nullopt;
  HttpRequestHead r;
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
  if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) return std::nullopt;
  for (char c : parts[0]) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c))) return std::nullopt;
  }
  r.method = std::string(parts[0]);
  r.target = std::string(parts[1]);
  r.version = std::string(parts[2]);
  std::optional<bool> connection_keep_alive;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = absl::StripTrailingAsciiWhitespace(lines[i]);
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) return std::nullopt;
    const std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (name == "connection") {
      for (absl::string_view token : absl::StrSplit(value, ',')) {
        token = absl::StripAsciiWhitespace(token);
        if (absl::EqualsIgnoreCase(token, "close")) connection_keep_alive = false;
        if (absl::EqualsIgnoreCase(token, "keep-alive") && !connection_keep_alive.has_value()) {
          connection_keep_alive = true;
        }
      }
    } else if (name == "content-length") {
      if (!absl::SimpleAtoi(value, &r.content_length) || r.content_length < 0) {
        return std::nullopt;
      }
    } else if (name == "transfer-encoding") {
      r.chunked = absl::StrContains(absl::AsciiStrToLower(value), "chunked");
    } else if (name == "user-agent") {
      r.user_agent = std::string(value);
    } else if (name == "referer") {
      r.referer = std::string(value);
    }
  }
  r.keep_alive = connection_keep_alive.value_or(r.version != "HTTP/1.0");
  return r;
}

HttpResponse NginxResponse(const std::optional<HttpRequestHead>& request,
                           const HttpServerIdentity& who, absl::Time now, bool close_anyway) {
  if (!request.has_value()) return NginxErrorResponse(400, who, now);
  const bool close = close_anyway || !request->keep_alive || request->chunked;
  const bool head_only = request->method == "HEAD";
  if (request->method != "GET" && !head_only) {
    return Build(405, "text/html", ErrorPage(405, who), false, close, who, now);
  }
  const std::string pod = Html(absl::StrCat(who.pod_namespace, "/", who.pod_name));
  const std::string container = Html(who.container_name);
  std::string body = absl::StrCat(
      "<!DOCTYPE html>\n<html>\n<head><title>", pod, "</title></head>\n<body>\n<h1>Hello from ",
      pod, "</h1>\n<p>pod <b>", pod, "</b>, container <b>", container, "</b>: a simulated nginx/",
      who.nginx_version, " answering in minik8s-runtime.</p>\n</body>\n</html>\n");
  return Build(200, "text/html", std::move(body), head_only, close, who, now);
}

HttpResponse NginxErrorResponse(int status, const HttpServerIdentity& who, absl::Time now) {
  return Build(status, "text/html", ErrorPage(status, who), false, true, who, now);
}

std::string NginxAccessLogLine(absl::string_view remote_ip, absl::Time now,
                               absl::string_view request_line, const HttpResponse& response,
                               const std::optional<HttpRequestHead>& request) {
  auto or_dash = [](absl::string_view s) { return s.empty() ? std::string("-") : std::string(s); };
  // nginx escapes bytes outside printable ASCII and the quote as \xHH.
  auto escape = [](absl::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
      } else {
        out += static_cast<char>(c);
      }
    }
    return out;
  };
  return absl::StrCat(remote_ip, " - - [",
                      absl::FormatTime("%d/%b/%Y:%H:%M:%S +0000", now, absl::UTCTimeZone()), "] \"",
                      escape(request_line), "\" ", response.status, " ", response.body_bytes, " \"",
                      escape(or_dash(request ? request->referer : "")), "\" \"",
                      escape(or_dash(request ? request->user_agent : "")), "\" \"-\"");
}

}  // namespace minik8s::runtime
