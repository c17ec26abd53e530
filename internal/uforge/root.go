package uforge

// Namespace is the target namespace of uforge.xsd. Only the root element is qualified.
const Namespace = "http://www.usharesoft.com/uforge"

const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// Root is a document root: a type that has a global element in uforge.xsd. RootName is that
// element's name, used as the XML root element and the JSON top-level key.
type Root interface {
	RootName() string
}

// OSProfile is the abstract <distribProfile> element used as a document root (the body of
// POST …/appliances/{aid}/osprofile and its answer). Its only concrete type in Kiln is
// LinuxProfile, so on output the root carries xsi:type="ns0:LinuxProfile". On input the
// xsi:type may be absent, as in the documented example.
type OSProfile struct {
	LinuxProfile
}

// RootName implements Root.
func (OSProfile) RootName() string { return "distribProfile" }

func (OSProfile) xsiType() string { return "LinuxProfile" }
