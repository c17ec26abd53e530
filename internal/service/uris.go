package service

import (
	"fmt"
	"strconv"
	"strings"
)

// UForge clients parse ids out of uris (contract §1.1), so their shapes are exact:
// relative to the API base, no leading slash, ending with the dbId.

func userURI(login string) string { return "users/" + login }

func applianceURI(login string, id int64) string {
	return fmt.Sprintf("users/%s/appliances/%d", login, id)
}

func osProfileURI(login string, aid int64) string {
	return fmt.Sprintf("%s/osprofile/%d", applianceURI(login, aid), aid)
}

func installProfileURI(login string, aid int64) string {
	return fmt.Sprintf("%s/installProfile/%d", applianceURI(login, aid), aid)
}

func distributionURI(id int64) string { return fmt.Sprintf("distributions/%d", id) }

func profileURI(did, pid int64) string { return fmt.Sprintf("distributions/%d/profiles/%d", did, pid) }

func packageURI(did, pid int64) string { return fmt.Sprintf("distributions/%d/pkgs/%d", did, pid) }

func targetFormatURI(id int64) string {
	return fmt.Sprintf("orgs/%d/targetformats/%d", DefaultOrgID, id)
}

// DefaultOrgID is the one organization every user belongs to.
const DefaultOrgID = 1

func orgURI() string { return fmt.Sprintf("orgs/%d", DefaultOrgID) }

// parseURI matches uri against a pattern like "distributions/{}/pkgs/{}" and
// returns the numeric ids. A leading slash or an absolute URL prefix is tolerated
// because clients sometimes send full links back.
func parseURI(uri, pattern string) ([]int64, bool) {
	uri = strings.TrimPrefix(uri, "/")
	if i := strings.Index(uri, "://"); i >= 0 {
		// http://host/api/distributions/… → distributions/…
		rest := uri[i+3:]
		p := strings.Split(pattern, "/")[0] + "/"
		j := strings.Index(rest, "/"+p)
		if j < 0 {
			return nil, false
		}
		uri = rest[j+1:]
	}
	us, ps := strings.Split(uri, "/"), strings.Split(pattern, "/")
	if len(us) != len(ps) {
		return nil, false
	}
	var ids []int64
	for i := range ps {
		if ps[i] == "{}" {
			n, err := strconv.ParseInt(us[i], 10, 64)
			if err != nil || n <= 0 {
				return nil, false
			}
			ids = append(ids, n)
		} else if us[i] != ps[i] {
			return nil, false
		}
	}
	return ids, true
}
