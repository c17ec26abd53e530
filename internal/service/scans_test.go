package service

import (
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
)

func TestCheckCRC(t *testing.T) {
	data := []byte("a scan report")
	sum := crc32.ChecksumIEEE(data)
	for _, tc := range []struct {
		crc string
		ok  bool
	}{
		{"", true}, // not sent: not checked
		{fmt.Sprintf("%08x", sum), true},
		{fmt.Sprintf("%X", sum), true},
		{fmt.Sprintf("%d", sum), true}, // decimal, as other agents send it
		{fmt.Sprintf("%08x", sum+1), false},
		{"not-a-crc", false},
	} {
		err := checkCRC(tc.crc, data)
		if (err == nil) != tc.ok {
			t.Errorf("checkCRC(%q) = %v, want ok=%v", tc.crc, err, tc.ok)
		}
		if e, isErr := AsError(err); err != nil && (!isErr || e.Kind != KindInvalid || !strings.Contains(e.Msg, fmt.Sprintf("%08x", sum))) {
			t.Errorf("checkCRC(%q) error %v, want invalid naming the real CRC", tc.crc, err)
		}
	}
}

func TestUnder(t *testing.T) {
	for _, tc := range []struct {
		path, dir string
		oneLevel  bool
		want      bool
	}{
		{"/etc/nginx/nginx.conf", "/", false, true},
		{"/etc", "/", true, true},
		{"/etc/nginx", "/", true, false},
		{"/etc/nginx/nginx.conf", "/etc", false, true},
		{"/etc/nginx/nginx.conf", "/etc", true, false},
		{"/etc/nginx", "/etc", true, true},
		{"/etc", "/etc", false, false},        // the directory itself is not below it
		{"/etcetera/x", "/etc", false, false}, // a prefix is not a parent
		{"/srv/www/index.html", "/etc", false, false},
	} {
		if got := under(tc.path, tc.dir, tc.oneLevel); got != tc.want {
			t.Errorf("under(%q, %q, %v) = %v, want %v", tc.path, tc.dir, tc.oneLevel, got, tc.want)
		}
	}
}
