package hub

import (
	"errors"
	"net/url"
	"strings"
)

// redacted replaces the secret parts of a URL in messages.
const redacted = "xxxxx"

// RedactURL returns rawURL fit for an error or a log line: the password of
// its userinfo, its query string and its fragment are replaced by "xxxxx",
// since signed storage URLs (S3, the Hub's CDN) carry their credentials in
// the query. url.URL.Redacted hides only the password.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Unparseable: keep what precedes the query and hide any userinfo.
		s := rawURL
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i] + "?" + redacted
		}
		if i := strings.Index(s, "://"); i >= 0 {
			authority := s[i+3:]
			if j := strings.IndexByte(authority, '/'); j >= 0 {
				authority = authority[:j]
			}
			if j := strings.LastIndexByte(authority, '@'); j >= 0 {
				s = s[:i+3] + redacted + s[i+3+j:]
			}
		}
		return s
	}
	return redactURL(u)
}

// redactURL is RedactURL for a parsed URL.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := *u
	if v.RawQuery != "" || v.ForceQuery {
		v.RawQuery, v.ForceQuery = redacted, false
	}
	if v.Fragment != "" {
		v.Fragment, v.RawFragment = redacted, ""
	}
	return v.Redacted()
}

// redactErr rewrites the URL of every *url.Error in err's chain (net/http
// puts the whole request URL, query string included, in its errors).
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = RedactURL(ue.URL)
	}
	return err
}
