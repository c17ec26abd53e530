package uforge

import "time"

// Object is the XSD type UForgeObject. Holds generic information used by platform objects.
type Object struct {
	Created      *time.Time `uforge:"created"`
	DBID         *int64     `uforge:"dbId"`
	Digest       *string    `uforge:"digest"`
	LastModified *time.Time `uforge:"lastModified"`
}

// Objects is the XSD type UForgeObjects. Provides a list of :ref:`uforgeobject-object` objects.
type Objects struct {
	Total *int64 `uforge:"total"`
}

// UploadObject is the XSD type UForgeUploadObject. Holds generic information used by platform objects
// that can be uploaded
type UploadObject struct {
	Object
	MD5Sum       *string    `uforge:"md5sum"`
	MimeType     *string    `uforge:"mimeType"`
	SHA256Sum    *string    `uforge:"sha256sum"`
	Size         *int64     `uforge:"size"`
	Status       *OpStatus  `uforge:"status"`
	Uploaded     *bool      `uforge:"uploaded"`
	UploadedTime *time.Time `uforge:"uploadedTime"`
}
