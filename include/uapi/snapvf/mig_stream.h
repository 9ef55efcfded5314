/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * snapvf migration stream: the normative definition of the bytes a saving
 * VFIO migration data_fd of a snapvf device produces and a resuming one
 * accepts (VFIO migration v2), for the kernel and for userspace readers
 * and writers of saved streams.
 *
 * Kernel code and userspace both include it as <snapvf/mig_stream.h>:
 * kbuild adds -I<snapvf>/include/uapi (the top Kbuild), userspace adds
 * -I<snapvf>/include/uapi or uses the copy "make headers_install" puts in
 * <prefix>/include/snapvf/.  It needs only <linux/types.h>.
 * Documentation/migration-stream.rst explains the format in prose; where
 * the two differ, this header wins.
 *
 * Grammar
 * -------
 *
 *   stream     := struct svf_stream_hdr, rec*, end
 *   rec        := struct svf_stream_rec, payload (rec.len bytes)
 *   end        := struct svf_stream_rec with type SVF_REC_END,
 *                 struct svf_stream_end as its payload
 *
 * Nothing follows the end record.  Records are not padded: a record
 * header starts right after the previous payload, at any byte offset, so
 * a reader copies each header out of the stream (memcpy) rather than
 * casting a pointer into it.
 *
 * Byte order
 * ----------
 *
 * Every multi-byte integer of the framing and of the library records
 * below is little endian whatever the host (the __le16/__le32/__le64
 * types): convert with le16toh()/le32toh()/le64toh() in userspace,
 * le*_to_cpu() in the kernel.  The structures have no implicit padding;
 * their sizes (32, 16, 16 bytes) are part of the format.
 *
 * CRC
 * ---
 *
 * Checksums are CRC-32C (Castagnoli: reflected polynomial 0x82F63B78,
 * initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF; the CRC of the ASCII
 * bytes "123456789" is 0xE3069283), stored as a __le32.  In the kernel
 * that is ~crc32c(~0, data, len).
 *
 * Versioning
 * ----------
 *
 * @version of the header changes only with an incompatible change of the
 * framing (this header, @hdr_len, the record header, the end record);
 * there is no minor version: a reader accepts exactly the version it
 * implements.  Reserved fields and record @flags are zero in version 1
 * and a version 1 reader rejects them set.  The meaning of a driver
 * record's payload is the device's own: a device encodes its model and
 * state-format revision in @compat_id (a destination refuses any other
 * id) and optional state in @features (a destination refuses a bit it
 * lacks).  The library records defined below carry their own magic and
 * version inside the payload.
 *
 * How a reader validates
 * ----------------------
 *
 * The kernel (migration/stream.c) checks, in this order, and a userspace
 * reader should do the same, rejecting the stream at the first failure
 * (the kernel: -EINVAL, one "migration stream rejected: <reason>" line,
 * nothing applied):
 *
 *  1. the header: @magic, @version, @hdr_len == sizeof(struct
 *     svf_stream_hdr), @crc over its first SVF_STREAM_HDR_CRC_LEN bytes,
 *     @reserved and @reserved2 zero, then the device's own conditions
 *     (@compat_id equal, no @features bit the device lacks);
 *  2. each record header as soon as it is complete: @seq is the number of
 *     records before it (0 for the first; catches reordered, duplicated
 *     and missing records), @flags zero, @type SVF_REC_END or at least
 *     SVF_MIG_REC_DRIVER, an end record's @len equal to sizeof(struct
 *     svf_stream_end), @len at most SVF_STREAM_REC_LEN_MAX;
 *  3. each payload: the record's @crc over its header's first
 *     SVF_STREAM_REC_CRC_LEN bytes followed by the payload; for the end
 *     record, @nrecords and @payload_bytes equal to what preceded it and
 *     @reserved zero;
 *  4. the stream ends exactly after the end record: bytes after it are
 *     rejected, and a stream without it is truncated (the kernel refuses
 *     RESUMING -> STOP with -EINVAL and applies nothing).
 *
 * A verified driver record then goes to the device, which may refuse it
 * as well.  Nothing is applied before the end record is verified.
 */
#ifndef _UAPI_SNAPVF_MIG_STREAM_H
#define _UAPI_SNAPVF_MIG_STREAM_H

#include <linux/types.h>

/* ---------------------------------------------------------------- framing */

/**
 * SVF_STREAM_MAGIC - &svf_stream_hdr.magic: "SVFM" in memory order
 *
 * As a __le32 the bytes 'S' 'V' 'F' 'M' read 0x4d465653.
 */
#define SVF_STREAM_MAGIC	0x4d465653

/**
 * SVF_STREAM_VERSION - &svf_stream_hdr.version of this format
 *
 * A reader accepts exactly this value (see "Versioning" above).
 */
#define SVF_STREAM_VERSION	1

/**
 * SVF_STREAM_HDR_CRC_LEN - bytes of &struct svf_stream_hdr that its crc
 *	field covers: all bytes before that field
 */
#define SVF_STREAM_HDR_CRC_LEN	28

/**
 * SVF_STREAM_REC_CRC_LEN - bytes of &struct svf_stream_rec that the
 *	record's crc field covers (all bytes before that field); the payload
 *	follows them in the checksum
 */
#define SVF_STREAM_REC_CRC_LEN	12

/**
 * SVF_STREAM_REC_LEN_MAX - largest &svf_stream_rec.len accepted (16 MiB)
 *
 * A writer never produces a longer payload; a reader rejects a record
 * header announcing one before reading its payload.
 */
#define SVF_STREAM_REC_LEN_MAX	0x1000000

/**
 * SVF_REC_END - record type of the end record
 *
 * Its payload is a &struct svf_stream_end.  Types 0x0000 and
 * 0x0002..0x00ff are reserved for the framing and rejected by a version 1
 * reader.
 */
#define SVF_REC_END		0x0001

/**
 * SVF_MIG_REC_DRIVER - first record type of the device's own records
 *
 * Types SVF_MIG_REC_DRIVER..0xffff carry device state ("chunks"): each
 * driver numbers its records from here, and library records shared by
 * many drivers (VMDEV_MIG_REC_STATE) sit at the top of this range.  A
 * driver's payload is versioned through &svf_stream_hdr.compat_id.
 */
#define SVF_MIG_REC_DRIVER	0x0100

/**
 * struct svf_stream_hdr - stream header, the first 32 bytes of a stream
 * @magic: SVF_STREAM_MAGIC
 * @version: SVF_STREAM_VERSION
 * @hdr_len: sizeof(struct svf_stream_hdr), 32 in version 1
 * @compat_id: device compatibility id of the source device (model and
 *	state-format revision, chosen by its driver); a destination accepts
 *	only its own id
 * @features: device feature bits of the source, chosen by its driver; a
 *	destination refuses a bit it does not have
 * @reserved: zero
 * @reserved2: zero
 * @crc: CRC-32C of the first SVF_STREAM_HDR_CRC_LEN bytes of the header
 *
 * Byte offsets: magic 0, version 4, hdr_len 6, compat_id 8, features 16,
 * reserved 20, reserved2 24, crc 28.
 */
struct svf_stream_hdr {
	__le32 magic;
	__le16 version;
	__le16 hdr_len;
	__le64 compat_id;
	__le32 features;
	__le32 reserved;
	__le32 reserved2;
	__le32 crc;
};

/**
 * struct svf_stream_rec - record header, 16 bytes in front of each payload
 * @type: SVF_REC_END, or a device record type (>= SVF_MIG_REC_DRIVER)
 * @flags: zero
 * @len: payload bytes that follow this header, at most
 *	SVF_STREAM_REC_LEN_MAX (sizeof(struct svf_stream_end) for the end
 *	record)
 * @seq: record number: 0 for the first record after the stream header,
 *	then consecutive, the end record included
 * @crc: CRC-32C of the first SVF_STREAM_REC_CRC_LEN bytes of this header
 *	followed by the @len payload bytes
 *
 * Byte offsets: type 0, flags 2, len 4, seq 8, crc 12.
 */
struct svf_stream_rec {
	__le16 type;
	__le16 flags;
	__le32 len;
	__le32 seq;
	__le32 crc;
};

/**
 * struct svf_stream_end - payload of the end record (type SVF_REC_END)
 * @nrecords: number of records before the end record (its own @seq)
 * @reserved: zero
 * @payload_bytes: sum of the @len fields of those records
 *
 * Byte offsets: nrecords 0, reserved 4, payload_bytes 8.
 */
struct svf_stream_end {
	__le32 nrecords;
	__le32 reserved;
	__le64 payload_bytes;
};

/* ------------------------------------------ vfio-mdev-core library record */

/**
 * VMDEV_MIG_REC_STATE - record type of vfio-mdev-core's own record
 *
 * Every mdev driver built on vfio-mdev-core (vfio_mdev_core.ko) sends the
 * state the library owns for it in one record of this type, produced once
 * the device is stopped: a &struct vmdev_mig_rec followed by the MSI-X
 * table and PBA.  It lies in the device range
 * (>= SVF_MIG_REC_DRIVER); drivers must not use the type for their own
 * records.  Where in the stream it goes is the driver's choice.
 */
#define VMDEV_MIG_REC_STATE	0xff00

/**
 * VMDEV_MIG_MAGIC - &vmdev_mig_rec.magic: "VMDC" in memory order
 */
#define VMDEV_MIG_MAGIC		0x43444d56

/**
 * VMDEV_MIG_VERSION - &vmdev_mig_rec.version of this layout
 *
 * A destination accepts exactly this value.  Version 2 added @desc_id.
 */
#define VMDEV_MIG_VERSION	2

/**
 * VMDEV_MIG_CFG_LEN - bytes of PCI config space in the record (the
 *	emulated standard config space)
 */
#define VMDEV_MIG_CFG_LEN	256

/**
 * VMDEV_MIG_MSIX_ENTRY_LEN - bytes per MSI-X table entry after the record
 *
 * As in the PCI specification: message address low, message address
 * high, message data, vector control, each a __le32.
 */
#define VMDEV_MIG_MSIX_ENTRY_LEN	16

/**
 * VMDEV_MIG_F_INTX_ASSERTED - &vmdev_mig_rec.flags: the INTx line was
 *	asserted on the source
 *
 * Every other bit of @flags is zero.
 */
#define VMDEV_MIG_F_INTX_ASSERTED	0x01

/**
 * struct vmdev_mig_rec - payload of a VMDEV_MIG_REC_STATE record
 * @magic: VMDEV_MIG_MAGIC
 * @version: VMDEV_MIG_VERSION
 * @cfg_len: VMDEV_MIG_CFG_LEN
 * @vendor: PCI vendor ID of the source function
 * @device: PCI device ID of the source function
 * @msix_vectors: MSI-X table size of the source (0: no MSI-X)
 * @msi_vectors: MSI vectors of the source (0: no MSI), at most 32
 * @flags: VMDEV_MIG_F_* bits
 * @msi_pending: bit n set: MSI vector n was pending on the source
 * @desc_id: fingerprint of the source's device description: the CRC32
 *	(IEEE 802.3 polynomial, as the kernel's ~crc32_le(~0, ...)) of the
 *	config-space reset values, write mask and write-one-to-clear mask
 *	(256 bytes each), the six BAR kinds (__le32 flags each) and the
 *	config space size (__le32).  Only the source and the destination
 *	compute it; a reader compares it, never recomputes it
 * @cfg: config space bytes (PCI config space is little endian)
 *
 * Byte offsets: magic 0, version 4, cfg_len 6, vendor 8, device 10,
 * msix_vectors 12, msi_vectors 14, flags 15, msi_pending 16, desc_id 20,
 * cfg 24; 280 bytes.  Then, if @msix_vectors is not 0, the MSI-X table
 * (@msix_vectors entries of VMDEV_MIG_MSIX_ENTRY_LEN bytes) and the
 * pending bit array (PBA: (@msix_vectors + 63) / 64 __le64 words, vector
 * n is bit n % 64 of word n / 64).  The payload's length is exactly
 * sizeof(struct vmdev_mig_rec) + VMDEV_MIG_MSIX_TABLE_LEN(@msix_vectors) +
 * VMDEV_MIG_MSIX_PBA_LEN(@msix_vectors).
 *
 * A destination refuses (-EINVAL, nothing applied) a record of another
 * length, magic, version or @cfg_len, for another function (@vendor,
 * @device, @msix_vectors, @msi_vectors) or with another @desc_id.
 */
struct vmdev_mig_rec {
	__le32 magic;
	__le16 version;
	__le16 cfg_len;
	__le16 vendor;
	__le16 device;
	__le16 msix_vectors;
	__u8 msi_vectors;
	__u8 flags;
	__le32 msi_pending;
	__le32 desc_id;
	__u8 cfg[VMDEV_MIG_CFG_LEN];
} __attribute__((packed));

/**
 * VMDEV_MIG_MSIX_TABLE_LEN() - bytes of the MSI-X table after the record
 * @msix_vectors: &vmdev_mig_rec.msix_vectors
 */
#define VMDEV_MIG_MSIX_TABLE_LEN(msix_vectors)				\
	((msix_vectors) * VMDEV_MIG_MSIX_ENTRY_LEN)

/**
 * VMDEV_MIG_MSIX_PBA_LEN() - bytes of the MSI-X PBA after the table
 * @msix_vectors: &vmdev_mig_rec.msix_vectors
 *
 * Whole __le64 words: 8 bytes per started group of 64 vectors.
 */
#define VMDEV_MIG_MSIX_PBA_LEN(msix_vectors)	(((msix_vectors) + 63) / 64 * 8)

#endif /* _UAPI_SNAPVF_MIG_STREAM_H */
