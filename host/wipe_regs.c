/*
 * Clearing the vector registers after crypto; see internal.h.
 *
 * Why: BearSSL's AES-NI and PCLMULQDQ code keeps the AES round keys
 * (the first round key is the raw traffic key) and the GHASH key in
 * XMM registers and returns without clearing them, and glibc's memcpy
 * moves key bytes through vector registers too. Those registers are
 * caller-saved, so nothing clears them until other vector code happens
 * to reuse them, and anything that saves the whole register file to
 * memory writes the key there: the dynamic loader's lazy-binding
 * trampoline (_dl_runtime_resolve_xsavec) does so on the stack on the
 * first call to each library function, and the kernel does so in every
 * signal frame. That is how a traffic key was found on the stack after
 * warden_tls_close(): main's first waitpid() went through the
 * trampoline, which saved the XMM registers the close_notify record had
 * left the key in.
 *
 * C cannot name registers, so this is the one place with assembly.
 */
#include "internal.h"

#if defined(__x86_64__) && defined(__GNUC__)

/*
 * ZMM16-31 exist only with AVX-512, where glibc's string functions use
 * them (the EVEX variants) precisely because VZEROALL leaves them alone.
 */
__attribute__((target("avx512f"))) static void
clear_zmm16_31(void)
{
    __asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
                     "vmovdqa64 %%zmm16, %%zmm17\n\t"
                     "vmovdqa64 %%zmm16, %%zmm18\n\t"
                     "vmovdqa64 %%zmm16, %%zmm19\n\t"
                     "vmovdqa64 %%zmm16, %%zmm20\n\t"
                     "vmovdqa64 %%zmm16, %%zmm21\n\t"
                     "vmovdqa64 %%zmm16, %%zmm22\n\t"
                     "vmovdqa64 %%zmm16, %%zmm23\n\t"
                     "vmovdqa64 %%zmm16, %%zmm24\n\t"
                     "vmovdqa64 %%zmm16, %%zmm25\n\t"
                     "vmovdqa64 %%zmm16, %%zmm26\n\t"
                     "vmovdqa64 %%zmm16, %%zmm27\n\t"
                     "vmovdqa64 %%zmm16, %%zmm28\n\t"
                     "vmovdqa64 %%zmm16, %%zmm29\n\t"
                     "vmovdqa64 %%zmm16, %%zmm30\n\t"
                     "vmovdqa64 %%zmm16, %%zmm31"
                     :
                     :
                     : "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",
                       "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27",
                       "xmm28", "xmm29", "xmm30", "xmm31");
}

void
warden_wipe_registers(void)
{
    /*
     * With AVX, VZEROALL clears YMM0-15 whole (ZMM0-15 with AVX-512);
     * without it, only the 128-bit XMM registers exist. The checks also
     * ask whether the OS saves that state, so the instructions are safe.
     */
    if (__builtin_cpu_supports("avx")) {
        __asm__ volatile("vzeroall"
                         :
                         :
                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
                           "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
                           "xmm12", "xmm13", "xmm14", "xmm15");
    } else {
        __asm__ volatile("pxor %%xmm0, %%xmm0\n\t"
                         "pxor %%xmm1, %%xmm1\n\t"
                         "pxor %%xmm2, %%xmm2\n\t"
                         "pxor %%xmm3, %%xmm3\n\t"
                         "pxor %%xmm4, %%xmm4\n\t"
                         "pxor %%xmm5, %%xmm5\n\t"
                         "pxor %%xmm6, %%xmm6\n\t"
                         "pxor %%xmm7, %%xmm7\n\t"
                         "pxor %%xmm8, %%xmm8\n\t"
                         "pxor %%xmm9, %%xmm9\n\t"
                         "pxor %%xmm10, %%xmm10\n\t"
                         "pxor %%xmm11, %%xmm11\n\t"
                         "pxor %%xmm12, %%xmm12\n\t"
                         "pxor %%xmm13, %%xmm13\n\t"
                         "pxor %%xmm14, %%xmm14\n\t"
                         "pxor %%xmm15, %%xmm15"
                         :
                         :
                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
                           "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
                           "xmm12", "xmm13", "xmm14", "xmm15");
    }
    if (__builtin_cpu_supports("avx512f")) {
        clear_zmm16_31();
    }
}

#else

/*
 * Known shortcoming: on other targets the registers are left as they
 * are. BearSSL has hardware AES only for x86 and POWER8; elsewhere
 * (the Cortex-M port) its portable code works in general registers,
 * which ordinary code reuses at once. TODO(POWER8 hosts): clear the VSX
 * registers the same way if libwarden is ever run there.
 */
void
warden_wipe_registers(void)
{
}

#endif
