package pack

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"text/template"
)

// VMDKStreamFormat is the ovf:format URI of a streamOptimized VMDK, the only
// disk format VMware and VirtualBox import from an OVF.
const VMDKStreamFormat = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"

// OVF 1.0 is written rather than 2.0: every VirtualBox and VMware release
// imports it, and 2.0 adds nothing a single-disk appliance needs. Inside the
// RASD items the elements are in alphabetical order because the CIM schema's
// xs:sequence is, and ovftool validates against it.
var ovfTemplate = template.Must(template.New("ovf").Funcs(template.FuncMap{"x": xmlEscape}).Parse(
	`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:href="{{x .Href}}" ovf:id="file1" ovf:size="{{.FileSize}}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="{{.M.DiskSize}}" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="{{.Format}}"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="VM Network">
      <Description>The VM Network network</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="{{x .M.Name}}">
    <Info>A virtual machine</Info>
    <Name>{{x .M.Name}}</Name>
    <ProductSection>
      <Info>Appliance built by Kiln</Info>
      <Product>{{x .M.Name}}</Product>
{{- if .M.Version}}
      <Version>{{x .M.Version}}</Version>
{{- end}}
    </ProductSection>
    <OperatingSystemSection ovf:id="96" vmw:osType="debian11_64Guest">
      <Info>The kind of installed guest operating system</Info>
      <Description>Debian GNU/Linux (64-bit)</Description>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{{x .M.Name}}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-{{printf "%02d" .M.HWType}}</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>{{.M.CPUs}} virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>{{.M.CPUs}}</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>{{.M.MemoryMB}}MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>{{.M.MemoryMB}}</rasd:VirtualQuantity>
      </Item>
{{- if eq .M.Controller "sata"}}
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SATA Controller</rasd:Description>
        <rasd:ElementName>SATA Controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>AHCI</rasd:ResourceSubType>
        <rasd:ResourceType>20</rasd:ResourceType>
      </Item>
{{- else}}
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI Controller</rasd:Description>
        <rasd:ElementName>SCSI Controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
{{- end}}
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard Disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:Description>{{.NICName}} ethernet adapter on "VM Network"</rasd:Description>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>{{.NICName}}</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
{{- if eq .M.Firmware "efi"}}
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>
{{- end}}
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`))

// OVF returns the descriptor of a one-disk virtual machine whose
// streamOptimized VMDK is the file href of fileSize bytes.
func OVF(m Machine, href string, fileSize int64) ([]byte, error) {
	m, err := m.normalized()
	if err != nil {
		return nil, err
	}
	return ovfDescriptor(m, href, fileSize)
}

func ovfDescriptor(m Machine, href string, fileSize int64) ([]byte, error) {
	nic := "E1000"
	if m.NIC == NICVmxNet3 {
		nic = "VmxNet3"
	}
	var b bytes.Buffer
	err := ovfTemplate.Execute(&b, struct {
		M        Machine
		Href     string
		FileSize int64
		Format   string
		NICName  string
	}{m, href, fileSize, VMDKStreamFormat, nic})
	if err != nil {
		return nil, fmt.Errorf("ovf: %w", err)
	}
	return b.Bytes(), nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // writes to a strings.Builder cannot fail
	return b.String()
}
