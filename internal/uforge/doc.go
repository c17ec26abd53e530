// Package uforge is Kiln's UForge wire model: Go types for the uforge.xsd objects the API
// serves, and the only code that knows how they look in XML and JSON.
//
// Types. Every XSD type Kiln uses has a struct whose fields follow the XSD sequence, inherited
// fields first (the base type is embedded first: Image embeds UploadObject embeds Object).
// Optional scalars are pointers (Bool, Int, Int64, Str, Time build them), so that an update can
// tell a field that was not sent (nil) from one sent as false or 0. Lists are slices behind a
// wrapper element; encoders always write the wrapper, decoders leave an absent wrapper nil and
// make a present one non-nil. Elements whose sub-trees Kiln never fills are *Unsupported.
// Enumerations are plain strings checked against uforge.xsd on input and output (ValidKeyboard,
// ValidImageFormatName, ValidDistributionArch … for callers). Sizes are carried as sent: MB.
//
// XML. <ns0:root xmlns:ns0="http://www.usharesoft.com/uforge"> with unqualified children,
// never a default namespace; abstract elements (appliance.osProfile, distribution.profiles,
// distribProfiles, the distribProfile root) carry xsi:type="ns0:LinuxProfile". dateTimes are
// written as 2006-01-02T15:04:05.000Z in UTC.
//
// JSON. {"root":{…}}, keys are element names, a list wrapper is {"item":[…]} (kept when empty),
// absent fields are omitted (no nulls), booleans and numbers are native. UForge never documented
// how xsi:type looks in JSON; Kiln writes it as the first key of the object, with the bare type
// name: {"xsi:type":"LinuxProfile",…}, and reads "xsi:type" or "@xsi:type", prefixed or not.
//
// Decoding is strict and returns *DecodeError with the path of the offending element.
// Callers must bound the body size (http.MaxBytesReader): the decoders read the whole document.
package uforge
