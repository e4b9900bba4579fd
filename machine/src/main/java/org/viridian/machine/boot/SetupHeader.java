package org.viridian.machine.boot;

/**
 * The fields of a bzImage's real-mode setup header (Documentation/arch/x86/boot.rst) that a 64-bit-protocol loader
 * uses, read and validated from the untrusted image. Offsets are from the start of the file, which equal the offsets
 * in boot_params since the header is copied there verbatim.
 *
 * @param setupSects      512-byte sectors of real-mode setup after the boot sector (0 in the file means 4)
 * @param syssize         protected-mode code size in bytes (the header stores 16-byte paragraphs)
 * @param version         boot protocol version, e.g. 0x020F
 * @param loadflags       LOADED_HIGH etc.
 * @param initrdAddrMax   highest address the initrd may occupy (inclusive)
 * @param kernelAlignment physical alignment a relocatable kernel needs
 * @param relocatable     whether the kernel may be loaded elsewhere than pref_address
 * @param xloadflags      XLF_KERNEL_64 etc.
 * @param cmdlineSize     longest command line, excluding the terminating NUL
 * @param payloadOffset   compressed payload, relative to the protected-mode code
 * @param payloadLength   compressed payload length
 * @param prefAddress     preferred load address
 * @param initSize        bytes of linear memory the kernel needs from its load address until it has relocated itself
 * @param headerEnd       end of the setup header in the file (0x202 + the jump offset at 0x201)
 */
public record SetupHeader(
        int setupSects,
        long syssize,
        int version,
        int loadflags,
        long initrdAddrMax,
        long kernelAlignment,
        boolean relocatable,
        int xloadflags,
        long cmdlineSize,
        long payloadOffset,
        long payloadLength,
        long prefAddress,
        long initSize,
        int headerEnd) {
    static final int SETUP_SECTS = 0x1F1,
            SYSSIZE = 0x1F4,
            VID_MODE = 0x1FA,
            BOOT_FLAG = 0x1FE,
            JUMP = 0x200,
            HEADER = 0x202,
            VERSION = 0x206,
            TYPE_OF_LOADER = 0x210,
            LOADFLAGS = 0x211,
            CODE32_START = 0x214,
            RAMDISK_IMAGE = 0x218,
            RAMDISK_SIZE = 0x21C,
            HEAP_END_PTR = 0x224,
            CMD_LINE_PTR = 0x228,
            INITRD_ADDR_MAX = 0x22C,
            KERNEL_ALIGNMENT = 0x230,
            RELOCATABLE_KERNEL = 0x234,
            XLOADFLAGS = 0x236,
            CMDLINE_SIZE = 0x238,
            PAYLOAD_OFFSET = 0x248,
            PAYLOAD_LENGTH = 0x24C,
            PREF_ADDRESS = 0x258,
            INIT_SIZE = 0x260;
    static final int BOOT_FLAG_MAGIC = 0xAA55;
    static final long HDRS_MAGIC = 0x5372_6448L; // "HdrS"
    /** 2.12 added xloadflags and is the oldest protocol with a 64-bit entry point to rely on. */
    static final int MIN_VERSION = 0x020C;

    static final int LOADED_HIGH = 0x01, CAN_USE_HEAP = 0x80;
    static final int XLF_KERNEL_64 = 0x01;
    /** boot_params ends its copy of the header here; anything the kernel declares beyond is not copied. */
    static final int MAX_HEADER_END = 0x290;

    /** Size of the real-mode part (boot sector + setup sectors); the protected-mode kernel starts here in the file. */
    public long setupSize() {
        return (setupSects + 1L) * 512;
    }

    /** Parses and validates the header of a bzImage. */
    public static SetupHeader parse(byte[] image) {
        ImageReader r = new ImageReader(image, "bzImage");
        r.require(0, INIT_SIZE + 4, "setup header (through init_size at 0x260)");
        if (r.u16(BOOT_FLAG, "boot_flag") != BOOT_FLAG_MAGIC) throw r.error("boot_flag at 0x1FE is not 0xAA55");
        if (r.u32(HEADER, "header") != HDRS_MAGIC)
            throw r.error("header at 0x202 is not \"HdrS\" (too old or not a bzImage)");
        int version = r.u16(VERSION, "version");
        if (version < MIN_VERSION) {
            throw r.error(
                    "boot protocol version %d.%02d is older than 2.12, which the 64-bit entry needs",
                    version >> 8, version & 0xFF);
        }
        int headerEnd = HEADER + r.u8(JUMP + 1, "jump");
        if (headerEnd < INIT_SIZE + 4)
            throw r.error("jump at 0x200 ends the setup header at 0x%x, before init_size", headerEnd);
        int setupSects = r.u8(SETUP_SECTS, "setup_sects");
        if (setupSects == 0) setupSects = 4;
        long setupSize = (setupSects + 1L) * 512;
        r.require(0, setupSize, "setup_sects");
        long syssize = r.u32(SYSSIZE, "syssize") * 16;
        long kernelBytes = image.length - setupSize;
        if (kernelBytes == 0 || syssize > kernelBytes + 15) {
            throw r.error(
                    "syssize says 0x%x bytes of protected-mode code but the file holds 0x%x", syssize, kernelBytes);
        }
        int loadflags = r.u8(LOADFLAGS, "loadflags");
        if ((loadflags & LOADED_HIGH) == 0)
            throw r.error("loadflags lacks LOADED_HIGH: a zImage cannot be loaded at 1 MiB");
        int xloadflags = r.u16(XLOADFLAGS, "xloadflags");
        if ((xloadflags & XLF_KERNEL_64) == 0)
            throw r.error("xloadflags lacks XLF_KERNEL_64: no 64-bit entry point at +0x200");
        long align = r.u32(KERNEL_ALIGNMENT, "kernel_alignment");
        if (align < 4096 || Long.bitCount(align) != 1 || align > 1L << 30) {
            throw r.error("kernel_alignment 0x%x is not a power of two in [4 KiB, 1 GiB]", align);
        }
        long pref = r.u64Unsigned(PREF_ADDRESS, "pref_address");
        long initSize = r.u32(INIT_SIZE, "init_size");
        if (initSize < kernelBytes)
            throw r.error("init_size 0x%x is smaller than the protected-mode code (0x%x)", initSize, kernelBytes);
        long payloadOffset = r.u32(PAYLOAD_OFFSET, "payload_offset");
        long payloadLength = r.u32(PAYLOAD_LENGTH, "payload_length");
        return new SetupHeader(
                setupSects,
                syssize,
                version,
                loadflags,
                r.u32(INITRD_ADDR_MAX, "initrd_addr_max"),
                align,
                r.u8(RELOCATABLE_KERNEL, "relocatable_kernel") != 0,
                xloadflags,
                r.u32(CMDLINE_SIZE, "cmdline_size"),
                payloadOffset,
                payloadLength,
                pref,
                initSize,
                Math.min(headerEnd, MAX_HEADER_END));
    }

    /** Whether the image looks like a bzImage (boot flag and "HdrS"), before full validation. */
    public static boolean isBzImage(byte[] image) {
        if (image.length < HEADER + 4) return false;
        ImageReader r = new ImageReader(image, "bzImage");
        return r.u16(BOOT_FLAG, "boot_flag") == BOOT_FLAG_MAGIC && r.u32(HEADER, "header") == HDRS_MAGIC;
    }
}
