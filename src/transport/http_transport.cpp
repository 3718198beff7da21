#include "transport/http_transport.h"

#include "common/text.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <deque>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace seglog::detail {
namespace {

constexpr std::size_t k_max_response_body = 4096;

void global_init_once() {
    // curl_global_init is not guaranteed thread-safe on every build; run it exactly once and
    // never call curl_global_cleanup (other code in the process may be using libcurl too).
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw std::runtime_error("seglog: curl_global_init failed");
    });
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    return true;
}

// Belt and braces: libcurl's messages never carry request headers, but a message that quotes
// a URL or a host could in theory contain the key if it was misconfigured into one of them.
void scrub(std::string &text, const std::string &secret) {
    if (secret.empty()) return;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
        text.replace(pos, secret.size(), "***"), pos += 3;
}

} // namespace

void on_header_line(std::string_view line, std::optional<std::string> &retry_after) {
    // A status line starts a new response (a proxy's CONNECT answer, a 100 Continue): only
    // the headers of the last one count.
    if (iequals_prefix(line, "HTTP/")) retry_after.reset();
    else if (iequals_prefix(line, "retry-after:")) retry_after = std::string(trim(line.substr(12)));
}

struct http_transport::impl {
    struct transfer {
        CURL *easy = nullptr;
        std::uint64_t id = 0;
        std::string body;  // must outlive the transfer (CURLOPT_POSTFIELDS)
        std::string plain; // the uncompressed body, while gzip is not yet known to be accepted
        std::string url;   // the configured one, or where a 307/308 sent it
        int retry_count = 0;
        int hops = 0;                 // 307/308 followed
        bool gzipped = false;         // body is compressed
        int refused_gzip = 0;         // 400/415 to the compressed body: this is the plain resend
        std::size_t bytes_before = 0; // uploaded by earlier hops and resends
        curl_slist *headers = nullptr;
        std::string response_body;
        std::optional<std::string> retry_after; // raw value from the final response
        std::array<char, CURL_ERROR_SIZE> errbuf{};
        std::chrono::steady_clock::time_point started;
    };

    transport_options opts;
    CURLM *multi = nullptr;
    std::vector<std::unique_ptr<transfer>> running;
    std::vector<std::unique_ptr<transfer>> idle; // easy handles kept for reuse
    // The buffer of a finished request's plain body, kept for the next (spare_body()): freed, a
    // buffer that size goes back to the system (malloc trims or unmaps it), and the next body
    // writes its pages for the first time again.
    std::string spare;
    std::deque<http_request> pending; // accepted while at max_in_flight
    std::vector<http_response> ready; // failed before reaching libcurl
    std::uint64_t connections = 0;
    bool gzip_confirmed = false; // a compressed body was answered 2xx

    explicit impl(transport_options o) : opts(std::move(o)) {
        if (opts.max_in_flight == 0) opts.max_in_flight = 1;
        global_init_once();
        multi = curl_multi_init();
        if (!multi) throw std::runtime_error("seglog: curl_multi_init failed");
        // One cached connection per concurrent request, so every slot can keep its connection.
        curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(opts.max_in_flight));
    }

    ~impl() {
        for (auto &t : running) {
            curl_multi_remove_handle(multi, t->easy);
            release(*t);
            curl_easy_cleanup(t->easy);
        }
        for (auto &t : idle) curl_easy_cleanup(t->easy);
        curl_multi_cleanup(multi);
    }

    static std::size_t on_write(char *data, std::size_t size, std::size_t n, void *user) {
        auto *t = static_cast<transfer *>(user);
        const std::size_t len = size * n;
        if (t->response_body.size() < k_max_response_body)
            t->response_body.append(data, std::min(len, k_max_response_body - t->response_body.size()));
        return len; // accept (and drop) the rest rather than abort the transfer
    }

    static std::size_t on_header(char *data, std::size_t size, std::size_t n, void *user) {
        auto *t = static_cast<transfer *>(user);
        on_header_line(std::string_view(data, size * n), t->retry_after);
        return size * n;
    }

    // One buffer is kept, the larger: at most a batch's body (max_batch_bytes), so an idle
    // client holds no more than that.
    void keep_spare(std::string &body) {
        if (body.capacity() <= spare.capacity()) return;
        body.clear();
        spare.swap(body);
    }

    void release(transfer &t) {
        curl_slist_free_all(t.headers);
        t.headers = nullptr;
        keep_spare(t.gzipped ? t.plain : t.body);
        t.body.clear();
        t.body.shrink_to_fit();
        t.plain.clear();
        t.plain.shrink_to_fit();
        t.response_body.clear();
    }

    void fail_now(std::uint64_t id, std::string error) {
        http_response r;
        r.id = id;
        r.network_error = std::move(error);
        ready.push_back(std::move(r));
    }

    std::unique_ptr<transfer> take_handle() {
        std::unique_ptr<transfer> t;
        if (!idle.empty()) {
            t = std::move(idle.back());
            idle.pop_back();
        } else {
            t = std::make_unique<transfer>();
            t->easy = curl_easy_init();
            if (!t->easy) return nullptr;
        }
        return t;
    }

    void start(http_request req) {
        // Compress first: if it throws, no handle has been taken out of the pool yet.
        const bool gz = opts.gzip;
        std::string packed = gz ? gzip_compress(req.body) : std::string();
        std::unique_ptr<transfer> t = take_handle();
        if (!t) return fail_now(req.id, "curl_easy_init failed");
        t->id = req.id;
        t->retry_count = req.retry_count;
        t->url = opts.url;
        t->hops = 0;
        t->gzipped = gz;
        t->refused_gzip = 0;
        t->bytes_before = 0;
        t->body = gz ? std::move(packed) : std::move(req.body);
        // Until a compressed body is accepted, keep the plain one: a refusal of gzip is then
        // answered by sending it again uncompressed.
        t->plain = gz && !gzip_confirmed ? std::move(req.body) : std::string();
        if (gz && gzip_confirmed) keep_spare(req.body); // compressed, the plain body is done with
        t->started = std::chrono::steady_clock::now();
        launch(std::move(t));
    }

    // (Re)starts `t` from its fields: its url, body and whether that is compressed.
    void launch(std::unique_ptr<transfer> t) {
        // Reset clears options but keeps the handle's connection/DNS/TLS session caches.
        curl_easy_reset(t->easy);
        curl_slist_free_all(t->headers);
        t->response_body.clear();
        t->retry_after.reset();
        t->errbuf[0] = '\0';

        curl_slist *h = nullptr;
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, "Expect:"); // no 100-continue round trip for large bodies
        if (t->gzipped) h = curl_slist_append(h, "Content-Encoding: gzip");
        if (t->retry_count > 0) h = curl_slist_append(h, ("X-Retry-Count: " + std::to_string(t->retry_count)).c_str());
        t->headers = h;
        set_options(*t);
        if (CURLMcode mc = curl_multi_add_handle(multi, t->easy); mc != CURLM_OK) {
            const std::uint64_t id = t->id;
            release(*t);
            idle.push_back(std::move(t));
            return fail_now(id, curl_multi_strerror(mc));
        }
        running.push_back(std::move(t));
    }

    void set_options(transfer &t) {
        CURL *e = t.easy;
        curl_easy_setopt(e, CURLOPT_URL, t.url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.body.data());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
        // libcurl builds "Authorization: Basic base64(user:password)" itself, and encoding
        // means a key with CR/LF in it cannot inject headers.
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(e, CURLOPT_USERNAME, opts.write_key.c_str());
        curl_easy_setopt(e, CURLOPT_PASSWORD, "");
        curl_easy_setopt(e, CURLOPT_USERAGENT, opts.user_agent.c_str());
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts.connect_timeout.count()));
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(opts.request_timeout.count()));
        curl_easy_setopt(e, CURLOPT_MAXCONNECTS, static_cast<long>(opts.max_in_flight));
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L); // notice dead idle connections
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, opts.insecure_skip_verify ? 0L : 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, opts.insecure_skip_verify ? 0L : 2L);
        if (!opts.ca_bundle.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, opts.ca_bundle.c_str());
        // Unset: libcurl reads http_proxy/https_proxy/no_proxy from the environment itself.
        if (!opts.proxy.empty()) curl_easy_setopt(e, CURLOPT_PROXY, opts.proxy.c_str());
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf.data());
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &impl::on_write);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &impl::on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    }

    void start_pending() {
        while (!pending.empty() && running.size() < opts.max_in_flight) {
            http_request r = std::move(pending.front());
            pending.pop_front();
            start(std::move(r));
        }
    }

    void count_connections(CURL *e) {
        long n = 0;
        if (curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK && n > 0)
            connections += static_cast<std::uint64_t>(n);
    }

    std::unique_ptr<transfer> detach(CURL *e) {
        auto it = std::find_if(running.begin(), running.end(), [e](const auto &t) { return t->easy == e; });
        if (it == running.end()) return nullptr;
        auto t = std::move(*it);
        running.erase(it);
        curl_multi_remove_handle(multi, e);
        return t;
    }

    std::size_t uploaded(CURL *e) const {
        curl_off_t up = 0;
        return curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK && up > 0 ? static_cast<std::size_t>(up)
                                                                                       : 0;
    }

    // A 3xx: its target in r.location. A 307/308 keeps the POST, so it is followed (`t` is then
    // under way again) unless it is one hop too many or leads from https to http.
    bool follow_redirect(std::unique_ptr<transfer> &t, long code, http_response &r) {
        if (code < 300 || code > 399) return false;
        char *loc = nullptr;
        if (curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc) return false;
        const std::string target(loc);
        r.location = target;
        scrub(r.location, opts.write_key);
        if (code != 307 && code != 308) return false;
        if (t->hops >= max_redirects)
            r.redirect_refused = "more than " + std::to_string(max_redirects) + " redirects in a row";
        else if (!iequals_prefix(target, "http://") && !iequals_prefix(target, "https://"))
            r.redirect_refused = "not an http or https location";
        else if (iequals_prefix(t->url, "https://") && !iequals_prefix(target, "https://"))
            r.redirect_refused = "it leads from https to http";
        if (!r.redirect_refused.empty()) return false;
        relaunch(t, [&] {
            t->url = target;
            ++t->hops;
        });
        return true;
    }

    // 400/415 to a compressed body, before any compressed body was accepted: the collector may
    // not take gzip at all. The same request goes again uncompressed; its answer decides.
    bool resend_plain(std::unique_ptr<transfer> &t, long code) {
        if (!t->gzipped || gzip_confirmed || (code != 400 && code != 415) || t->plain.empty()) return false;
        relaunch(t, [&] {
            t->refused_gzip = static_cast<int>(code);
            t->body = std::move(t->plain);
            t->plain.clear();
            t->gzipped = false;
        });
        return true;
    }

    template <typename Change>
    void relaunch(std::unique_ptr<transfer> &t, Change change) {
        count_connections(t->easy);
        t->bytes_before += uploaded(t->easy);
        change();
        launch(std::move(t));
    }

    // The answer to a compressed body, or to the plain resend after one was refused, tells
    // whether the collector takes gzip.
    void learn_gzip(const transfer &t, long code, http_response &r) {
        if (t.gzipped && code >= 200 && code < 300) gzip_confirmed = true;
        if (t.refused_gzip && code != 400 && code != 415) {
            opts.gzip = false;
            r.gzip_refused = t.refused_gzip;
        }
    }

    static network_cause cause_of(CURLcode rc) {
        switch (rc) {
        case CURLE_COULDNT_CONNECT: return network_cause::refused;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY: return network_cause::name_resolution;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS: return network_cause::tls_certificate;
        case CURLE_SSL_CONNECT_ERROR: return network_cause::tls;
        case CURLE_OPERATION_TIMEDOUT: return network_cause::timeout;
        default: return network_cause::other;
        }
    }

    // One finished transfer: its response, or nothing when it went out again (redirect, resend).
    std::optional<http_response> finish(std::unique_ptr<transfer> &t, CURLcode rc) {
        CURL *e = t->easy;
        http_response r;
        r.id = t->id;
        if (rc == CURLE_OK) {
            long code = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
            if (follow_redirect(t, code, r) || resend_plain(t, code)) return std::nullopt;
            learn_gzip(*t, code, r);
            r.status = static_cast<int>(code);
            r.body = std::move(t->response_body);
            r.retry_after = std::move(t->retry_after);
        } else {
            r.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
            r.cause = cause_of(rc);
            // The error buffer is more specific ("Failed to connect to ... port ...").
            r.network_error = t->errbuf[0] ? std::string(t->errbuf.data()) : curl_easy_strerror(rc);
            scrub(r.network_error, opts.write_key);
        }
        r.duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                           t->started);
        r.bytes_sent = t->bytes_before + uploaded(e);
        count_connections(e);
        release(*t);
        idle.push_back(std::move(t));
        return r;
    }

    void collect(std::vector<http_response> &out) {
        int left = 0;
        while (CURLMsg *msg = curl_multi_info_read(multi, &left)) {
            if (msg->msg != CURLMSG_DONE) continue;
            const CURLcode rc = msg->data.result;
            auto t = detach(msg->easy_handle);
            if (!t) continue;
            if (auto r = finish(t, rc)) out.push_back(std::move(*r));
        }
    }

    void drain_ready(std::vector<http_response> &out) {
        std::move(ready.begin(), ready.end(), std::back_inserter(out));
        ready.clear();
    }

    void perform(std::vector<http_response> &out) {
        int still = 0;
        curl_multi_perform(multi, &still);
        collect(out);
        start_pending();
    }
};

http_transport::http_transport(transport_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

http_transport::~http_transport() = default;

bool http_transport::can_send() const { return in_flight() < impl_->opts.max_in_flight; }

std::string http_transport::spare_body() {
    std::string body;
    body.swap(impl_->spare);
    return body;
}

std::size_t http_transport::in_flight() const { return impl_->running.size() + impl_->pending.size(); }

void http_transport::send(http_request req) {
    // Over the limit the request waits here and starts when a slot frees; nothing blocks.
    if (impl_->running.size() < impl_->opts.max_in_flight) impl_->start(std::move(req));
    else impl_->pending.push_back(std::move(req));
}

std::vector<http_response> http_transport::poll(std::chrono::milliseconds timeout) {
    std::vector<http_response> out;
    impl_->perform(out);
    impl_->drain_ready(out);
    if (!out.empty()) return out; // don't sleep on results the caller is waiting for
    const auto ms = std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 0, INT_MAX);
    // curl_multi_poll sleeps even with no transfers, so poll() is the worker's one idle wait.
    curl_multi_poll(impl_->multi, nullptr, 0, static_cast<int>(ms), nullptr);
    impl_->perform(out);
    impl_->drain_ready(out);
    return out;
}

void http_transport::wakeup() { curl_multi_wakeup(impl_->multi); }

std::vector<std::uint64_t> http_transport::abort_all() {
    std::vector<std::uint64_t> ids;
    while (!impl_->running.empty()) {
        CURL *e = impl_->running.back()->easy;
        impl_->count_connections(e);
        auto t = impl_->detach(e);
        ids.push_back(t->id);
        impl_->release(*t);
        curl_easy_reset(t->easy);
        impl_->idle.push_back(std::move(t));
    }
    for (auto &r : impl_->pending) ids.push_back(r.id);
    impl_->pending.clear();
    return ids;
}

std::uint64_t http_transport::connections_opened() const { return impl_->connections; }

bool http_transport::gzip() const { return impl_->opts.gzip; }

} // namespace seglog::detail
