/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulator's device-state stream: what save_chunk produces and
 * load_chunk consumes.  Opaque to consumers, who wrap it in their own
 * migration stream.
 *
 * A stream is a sequence of fixed-size records: a 16-byte header and a
 * SIM_PAGE_SIZE payload, so the reader needs no framing and chunks may
 * split records anywhere.  Order: one HDR, then PAGE and REGS records in
 * any order and repeated (later copies win: pre-copy rounds resend what
 * changed), then one END.  Every record carries a CRC32 of its payload.
 */
#ifndef _SVF_SIM_STREAM_H
#define _SVF_SIM_STREAM_H

#include <linux/types.h>

#define SIM_PAGE_SIZE		4096u
#define SIM_PAGE_SHIFT		12
#define SIM_REC_MAGIC		0x53465653u	/* "SVFS" little endian */
#define SIM_REC_VERSION		1
#define SIM_REC_SIZE		(sizeof(struct sim_rec_hdr) + SIM_PAGE_SIZE)
/* compatibility strings: one per kind of managed function */
#define SIM_COMPAT		"snapvf_sim/ivshmem/1"
#define SIM_COMPAT_NVME		"snapvf_sim/nvme-cmb/1"

/**
 * enum sim_rec_type - record types of the simulator's state stream
 * @SIM_REC_HDR: stream header, payload &struct sim_rec_info
 * @SIM_REC_PAGE: one SIM_PAGE_SIZE page of the state, @index is the page
 * @SIM_REC_REGS: the simulated registers, payload &struct sim_regs
 * @SIM_REC_END: end of stream, payload &struct sim_rec_end
 */
enum sim_rec_type {
	SIM_REC_HDR = 1,
	SIM_REC_PAGE,
	SIM_REC_REGS,
	SIM_REC_END,
};

/**
 * struct sim_rec_hdr - header of every record
 * @magic: SIM_REC_MAGIC
 * @type: &enum sim_rec_type
 * @version: SIM_REC_VERSION
 * @index: page index for SIM_REC_PAGE, else 0
 * @csum: crc32_le(~0, payload, SIM_PAGE_SIZE)
 */
struct sim_rec_hdr {
	__le32 magic;
	__le16 type;
	__le16 version;
	__le32 index;
	__le32 csum;
};

/**
 * struct sim_rec_info - payload of SIM_REC_HDR (rest of the page is zero)
 * @state_size: bytes of BAR state; the destination's must be equal
 * @page_size: SIM_PAGE_SIZE
 * @npages: state_size / page_size
 * @compat: the function's compatibility string (SIM_COMPAT or
 *	SIM_COMPAT_NVME), NUL padded
 */
struct sim_rec_info {
	__le64 state_size;
	__le32 page_size;
	__le32 npages;
	char compat[32];
};

/**
 * struct sim_regs - the simulated registers (part of the device state)
 * @scratch: a register software may read and write (the "scratch" knob)
 * @writes: how many times @scratch was written since reset
 */
struct sim_regs {
	__le64 scratch;
	__le64 writes;
};

/**
 * struct sim_rec_end - payload of SIM_REC_END
 * @records: number of records before this one, HDR included
 */
struct sim_rec_end {
	__le64 records;
};

#endif /* _SVF_SIM_STREAM_H */
