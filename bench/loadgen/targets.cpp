// Target resolution and the reachability probe.
#include "bench/loadgen/targets.hpp"

#include "common/providers.hpp"
#include "common/url.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>

namespace loadgen {
namespace {

using tcp = net::ip::tcp;

std::variant<tcp::endpoint, std::string> endpoint_for(const std::string& host, std::uint16_t port)
{
    boost::system::error_code ec;
    auto addr = net::ip::make_address(host, ec);
    if (!ec)
        return tcp::endpoint(addr, port);
    if (host == "localhost")
        return tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty())
        return "cannot resolve host '" + host + "'";
    return results.begin()->endpoint();
}

std::string slash_join(std::string_view a, std::string_view b)
{
    std::string out = "/";
    for (auto part : {a, b}) {
        while (!part.empty() && part.front() == '/')
            part.remove_prefix(1);
        while (!part.empty() && part.back() == '/')
            part.remove_suffix(1);
        if (part.empty())
            continue;
        if (out.size() > 1)
            out += '/';
        out += part;
    }
    return out;
}

using headers_t = std::vector<std::pair<std::string, std::string>>;

// A target from a URL and a request path; an https URL gets a TLS client verifying u.host.
std::variant<target_endpoint, std::string> make_target(const config& c, const std::string& label,
                                                       const common::url& u, const std::string& path,
                                                       const headers_t& headers, const std::string& prompt,
                                                       const std::string& model)
{
    auto ep = endpoint_for(u.host, u.port);
    if (auto* e = std::get_if<std::string>(&ep))
        return *e;
    target_endpoint t;
    if (u.tls()) {
        auto tls = make_tls_client(u.host, c.ca_file);
        if (auto* e = std::get_if<std::string>(&tls))
            return *e;
        t.tls = std::get<std::shared_ptr<const tls_client>>(std::move(tls));
    }
    t.label = label;
    t.endpoint = std::get<tcp::endpoint>(ep);
    t.url = u.scheme + "://" + u.host_header() + path;
    t.builder = std::make_shared<request_builder>(c, prompt, model, u.host_header(), path, headers);
    return t;
}

// What to do about a failed handshake, for the common cases.
std::string handshake_hint(const std::string& why)
{
    if (why.find("issuer") != std::string::npos || why.find("self-signed") != std::string::npos)
        return " (trust its CA with -ca-file FILE or SSL_CERT_FILE)";
    if (why.find("wrong version number") != std::string::npos)
        return " (is it plain HTTP?)";
    return {};
}

} // namespace

std::variant<resolved_run, std::string> resolve_run(const config& c, const common::env_lookup& env,
                                                    const std::string& provider, const std::string& prompt)
{
    resolved_run r;
    headers_t headers = c.headers;
    auto add = [&](std::variant<target_endpoint, std::string> t, std::uint16_t port) -> std::string {
        if (auto* e = std::get_if<std::string>(&t))
            return *e;
        r.targets.push_back(std::move(std::get<target_endpoint>(t)));
        r.ports.push_back(port);
        return {};
    };
    if (provider.empty()) { // -url
        auto u = common::parse_url(c.url);
        if (!u)
            return "-url: '" + c.url + "' is not an absolute http:// or https:// URL";
        r.key = "url";
        r.model = c.model.empty() ? "gpt-4o-mini" : c.model;
        std::string path = u->base_path.empty() ? "/" : u->base_path;
        if (auto e = add(make_target(c, "url", *u, path, headers, prompt, r.model), u->port); !e.empty())
            return e;
        if (c.direct != "off") {
            auto d = common::parse_url(c.direct);
            if (!d)
                return "-direct: '" + c.direct + "' is not an absolute http:// or https:// URL";
            std::string dpath = d->base_path.empty() ? path : d->base_path;
            if (auto e = add(make_target(c, "direct", *d, dpath, headers, prompt, r.model), d->port);
                !e.empty())
                return e;
        }
        return r;
    }
    if (provider == "mock") {
        r.key = "mock";
        r.model = c.model.empty() ? "gpt-4o-mini" : c.model;
        auto port_text = env.get_or("MOCK_PORT", std::to_string(common::default_mock_port));
        auto u = common::parse_url("http://" +
                                   (c.host.find(':') != std::string::npos ? "[" + c.host + "]" : c.host) +
                                   ":" + port_text);
        if (!u)
            return "MOCK_PORT='" + port_text + "' with -host '" + c.host + "' does not make a URL";
        if (auto e = add(make_target(c, "mock", *u, slash_join(c.suffix, c.path), headers, prompt, r.model),
                         u->port);
            !e.empty())
            return e;
        return r;
    }
    const auto* spec = common::find_provider(provider);
    std::string err;
    auto rp = common::resolve_provider(*spec, env, err);
    if (!err.empty())
        return err;
    r.key = std::string(spec->name);
    r.proxied = true;
    r.model = c.model.empty() ? std::string(spec->default_model) : c.model;
    auto pu = common::parse_url("http://" + c.host + ":" + std::to_string(rp.port));
    if (!pu)
        return "-host '" + c.host + "' does not make a URL";
    if (auto e = add(make_target(c, "proxy", *pu, slash_join(c.suffix, c.path), headers, prompt, r.model),
                     rp.port);
        !e.empty())
        return e;
    if (c.direct == "off")
        return r;
    std::string direct_text = c.direct == "auto" ? rp.upstream : c.direct;
    auto du = common::parse_url(direct_text);
    if (!du)
        return "direct target '" + direct_text + "' is not an absolute http(s) URL";
    headers_t dheaders = headers;
    for (const auto& h : rp.headers)
        dheaders.emplace_back(h.name, h.value);
    std::string dpath = common::join_path(du->base_path, "/" + c.path);
    if (auto e = add(make_target(c, "direct", *du, dpath, dheaders, prompt, r.model), du->port); !e.empty())
        return e;
    return r;
}

std::string probe(const target_endpoint& t, std::chrono::milliseconds timeout)
{
    // With TLS, connect and handshake: certificate problems show here, before any load.
    bool connected = false;
    auto why = probe_connection(t.endpoint, t.tls.get(), timeout, connected);
    if (why.empty())
        return {};
    if (t.tls && connected)
        return "TLS handshake with " + t.label + " target " + t.url + " failed: " + why + handshake_hint(why);
    return "cannot reach " + t.label + " target " + t.url + " (" + why + ")";
}

} // namespace loadgen
