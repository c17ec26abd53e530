package uforge

// PartitionTable is the XSD type PartitionTable (element <partitionTable>). Describes a complete
// partitioning table for an appliance template.
//
// Sub-trees Kiln never fills (accepted only empty on input, never written): btrfsStoragePools, btrfsSubvolumes.
type PartitionTable struct {
	Object
	BtrfsStoragePools    *Unsupported    `uforge:"btrfsStoragePools,unsupported"`
	BtrfsStoragePoolsURI *string         `uforge:"btrfsStoragePoolsUri"`
	BtrfsStoragePoolURIs []string        `uforge:"btrfsStoragePoolUris,list=uri"`
	BtrfsSubvolumes      *Unsupported    `uforge:"btrfsSubvolumes,unsupported"`
	BtrfsSubvolumesURI   *string         `uforge:"btrfsSubvolumesUri"`
	BtrfsSubvolumeURIs   []string        `uforge:"btrfsSubvolumeUris,list=uri"`
	Disks                []Disk          `uforge:"disks,list=disk"`
	DisksURI             *string         `uforge:"disksUri"`
	DiskURIs             []string        `uforge:"diskUris,list=uri"`
	ParentURI            *string         `uforge:"parentUri"`
	LogicalGroups        []LogicalGroup  `uforge:"logicalGroups,list=logicalGroup"`
	LogicalGroupsURI     *string         `uforge:"logicalGroupsUri"`
	LogicalGroupURIs     []string        `uforge:"logicalGroupUris,list=uri"`
	LogicalVolumes       []LogicalVolume `uforge:"logicalVolumes,list=logicalVolume"`
	LogicalVolumesURI    *string         `uforge:"logicalVolumesUri"`
	LogicalVolumeURIs    []string        `uforge:"logicalVolumeUris,list=uri"`
	URI                  *string         `uforge:"uri"`
}

// RootName implements Root.
func (PartitionTable) RootName() string { return "partitionTable" }

// Disk is the XSD type Disk (element <disk>). Holds the information of a physical disk that is part of
// a partitioning table.
type Disk struct {
	Object
	BlockSize         *int        `uforge:"blockSize"`
	Name              *string     `uforge:"name,enum=DiskName"`
	Partitions        []Partition `uforge:"partitions,list=partition"`
	PartitionsURI     *string     `uforge:"partitionsUri"`
	PartitionTableURI *string     `uforge:"partitionTableUri"`
	PartitionType     *string     `uforge:"partitionType,enum=DiskPartitionType"`
	PartitionURIs     []string    `uforge:"partitionUris,list=uri"`
	Size              *int64      `uforge:"size"`
	URI               *string     `uforge:"uri"`
}

// RootName implements Root.
func (Disk) RootName() string { return "disk" }

// Partition is the XSD type Partition (element <partition>). Holds the information of a physical or
// logical partition that is part of a partitioning table.
type Partition struct {
	Object
	DefaultSubvolume     *bool       `uforge:"defaultSubvolume"`
	DumpLocation         *string     `uforge:"dumpLocation"`
	Fstype               *string     `uforge:"fstype,enum=PartitionFstype"`
	Growable             *bool       `uforge:"growable"`
	Label                *string     `uforge:"label"`
	LogicalPartitions    []Partition `uforge:"logicalPartitions,list=logicalPartition"`
	LogicalPartitionsURI *string     `uforge:"logicalPartitionsUri"`
	LogicalPartitionURIs []string    `uforge:"logicalPartitionUris,list=uri"`
	Mpoint               *string     `uforge:"mpoint"`
	Name                 *string     `uforge:"name"`
	ParentURI            *string     `uforge:"parentUri"`
	PartitionTableURI    *string     `uforge:"partitionTableUri"`
	Size                 *int64      `uforge:"size"`
	URI                  *string     `uforge:"uri"`
	VolumeOrder          *int        `uforge:"volumeOrder"`
	MbrBoot              *bool       `uforge:"mbrBoot"`
}

// RootName implements Root.
func (Partition) RootName() string { return "partition" }

// LogicalGroup is the XSD type LogicalGroup (element <logicalGroup>). Describes a logical volume group
// in a partitioning table.
type LogicalGroup struct {
	Object
	DiskURI           *string  `uforge:"diskUri"`
	DiskURIs          []string `uforge:"diskUris,list=uri"`
	GroupName         *string  `uforge:"groupName"`
	Name              *string  `uforge:"name"`
	PartitionTableURI *string  `uforge:"partitionTableUri"`
	PartitionURI      *string  `uforge:"partitionUri"`
	PartitionURIs     []string `uforge:"partitionUris,list=uri"`
	URI               *string  `uforge:"uri"`
}

// RootName implements Root.
func (LogicalGroup) RootName() string { return "logicalGroup" }

// LogicalVolume is the XSD type LogicalVolume (element <logicalVolume>). Describes a logical volume in
// a partitioning table.
type LogicalVolume struct {
	Object
	GroupURI          *string     `uforge:"groupUri"`
	Name              *string     `uforge:"name"`
	PartitionTableURI *string     `uforge:"partitionTableUri"`
	URI               *string     `uforge:"uri"`
	Volumes           []Partition `uforge:"volumes,list=volume"`
	VolumesURI        *string     `uforge:"volumesUri"`
	VolumeURIs        []string    `uforge:"volumeUris,list=uri"`
}

// RootName implements Root.
func (LogicalVolume) RootName() string { return "logicalVolume" }
