/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stream records of snapvf_mig_test.ko's devices, shared by the module
 * and the migration selftests (tools/testing/selftests/migration) so that
 * both read and write them from one definition.  The framing around them
 * is the public one, <snapvf/mig_stream.h>.  Test-only.
 */
#ifndef _MIG_TEST_STREAM_H
#define _MIG_TEST_STREAM_H

#include <linux/types.h>
#include <snapvf/mig_stream.h>

/**
 * MT_COMPAT_ID - default &svf_stream_hdr.compat_id of the test devices
 *	("SVFMTEST"; the module parameter compat_id changes it)
 */
#define MT_COMPAT_ID		0x5356464d54455354ULL

/**
 * MT_STREAM_FEATURES - &svf_stream_hdr.features of the test devices
 */
#define MT_STREAM_FEATURES	0x1

/**
 * MT_REC_META - record type of the first record: a &struct mt_meta
 */
#define MT_REC_META		(SVF_MIG_REC_DRIVER + 0)

/**
 * MT_REC_PAGES - record type of state pages: a __le64 byte offset into
 *	the state (page aligned), then whole pages of state
 */
#define MT_REC_PAGES		(SVF_MIG_REC_DRIVER + 1)

/**
 * struct mt_meta - payload of the MT_REC_META record
 * @size: state size of the source in bytes; the destination refuses
 *	another size
 */
struct mt_meta {
	__le64 size;
};

#endif /* _MIG_TEST_STREAM_H */
