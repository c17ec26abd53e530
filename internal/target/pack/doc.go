// Package pack holds Kiln's packagings: the last stage of a generation, which
// wraps converted disk files plus a few facts about the machine (name, memory,
// CPUs, VMware hardware version, firmware) into the delivered artifact: an OVA,
// a VMware Workstation tar, a KVM tar with a launch script, a Vagrant box or a
// Google Compute Engine tar.gz. One file per packaging.
//
// Every packaging streams: tar members are written on the fly from the disk
// files, never held in memory, and the checksums a packaging needs are computed
// while the disk is copied.
package pack
