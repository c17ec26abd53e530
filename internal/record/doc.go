// Package record declares the JSON documents Kiln stores in its database and
// reads back elsewhere, each as one Go type that every writer and reader uses:
//
//   - ScanReport: the inventory a scan agent uploads (scans.report), read by
//     the service to render scans and to build images of them;
//   - InstalledPackage: the packages installed in a generated image
//     (images.packages), listed by the API and the build manifest;
//   - Fidelity: the comparison of a scanned machine with the image generated
//     from it (images.fidelity), served by the API and printed by the CLI.
//
// The JSON encoding of these types is the stored format: rows written by
// earlier versions must keep decoding. Never rename a JSON field or change its
// omitempty; add fields only as optional ones. The package holds types only:
// how a report is taken or a fidelity compared stays with its producer.
//
// record imports nothing from Kiln, so any package may use it.
package record
