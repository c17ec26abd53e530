package uforge

import "time"

// Quota is the XSD type Quota (element <quota>). Provides information on quota used to restrict
// user usage.
type Quota struct {
	Object
	Frequency   *string    `uforge:"frequency,enum=QuotaFrequency"`
	Limit       *int64     `uforge:"limit"`
	Nb          *int64     `uforge:"nb"`
	RenewalDate *time.Time `uforge:"renewalDate"`
	Type        *string    `uforge:"type,enum=QuotaType"`
	TypeID      *int       `uforge:"typeId"`
	URI         *string    `uforge:"uri"`
}

// RootName implements Root.
func (Quota) RootName() string { return "quota" }

// Quotas is the XSD type Quotas (element <quotas>). Provides a list of :ref:`quota-object` objects.
type Quotas struct {
	Objects
	Quotas []Quota `uforge:"quotas,list=quota"`
}

// RootName implements Root.
func (Quotas) RootName() string { return "quotas" }
