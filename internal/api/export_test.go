package api

// RouteInfo is one line of the route table as the tests of package api_test
// see it: the pattern, whether it is public and the entitlement it needs.
type RouteInfo struct {
	Method, Path string // Path is relative to BasePath, e.g. /users/{uid}
	Public       bool
	Entitlement  string
}

// Routes lists the route table, so that tests cover every route there is,
// including ones added after the tests were written.
func Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range (&Server{}).table() {
		method, path, _ := cut(rt.pattern)
		out = append(out, RouteInfo{Method: method, Path: path, Public: rt.access == public, Entitlement: rt.entitlement})
	}
	return out
}
