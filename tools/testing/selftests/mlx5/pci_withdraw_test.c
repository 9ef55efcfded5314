// SPDX-License-Identifier: GPL-2.0
/*
 * pci/withdraw_test with snapvf_mlx5 on the firmware model as the parent
 * (pci/parent.h): the same test source, the same assertions.
 */
#define SVF_PARENT_MLX5
#include "../pci/withdraw_test.c"
