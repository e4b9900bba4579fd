package org.viridian.hv.hypercall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hypercall page as the CPU reads it: disassembled by binutils' objdump, then walked for each call code (compare,
 * branch) to where the call ends up: the port write to user space or KVM's hypercall instruction.
 */
class HypercallPageTest {
    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\s+(?:[0-9a-f]{2} )+\\s*(\\S+)\\s*(.*)$");

    record Insn(int at, String op, String args) {}

    @TempDir
    Path dir;

    private List<Insn> disassemble(byte[] code, boolean longMode) throws IOException, InterruptedException {
        Path f = dir.resolve("page.bin");
        Files.write(f, code);
        Process p;
        try {
            p = new ProcessBuilder(
                            "objdump", "-D", "-b", "binary", "-m", longMode ? "i386:x86-64" : "i386", f.toString())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            assumeTrue(false, "objdump (binutils) not installed");
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        List<Insn> insns = new ArrayList<>();
        for (String l : out.split("\n")) {
            Matcher m = LINE.matcher(l);
            if (m.matches())
                insns.add(new Insn(
                        Integer.parseInt(m.group(1), 16), m.group(2), m.group(3).trim()));
        }
        return insns;
    }

    /** Where a call with this code goes: "user" (out to port 0xE8) or the kernel instruction's mnemonic. */
    private static String walk(List<Insn> insns, int callCode, String register) {
        boolean equal = false;
        for (int i = 0; i < insns.size(); ) {
            Insn in = insns.get(i);
            switch (in.op()) {
                case "cmp" -> {
                    Matcher m = Pattern.compile("\\$0x([0-9a-f]+),%" + register).matcher(in.args());
                    assertThat(m.matches()).as("compare %s", in).isTrue();
                    equal = Integer.parseInt(m.group(1), 16) == callCode;
                    i++;
                }
                case "je" -> {
                    if (equal) {
                        int target = Integer.parseInt(in.args().replaceAll("^0x| .*$", ""), 16);
                        i = indexAt(insns, target);
                    } else i++;
                }
                case "out" -> {
                    assertThat(in.args()).isEqualTo("%al,$0xe8");
                    assertThat(insns.get(i + 1).op()).isEqualTo("ret");
                    return "user";
                }
                case "vmcall", "vmmcall" -> {
                    assertThat(insns.get(i + 1).op()).isEqualTo("ret");
                    return in.op();
                }
                default -> throw new AssertionError("unexpected " + in);
            }
        }
        throw new AssertionError("fell off the page");
    }

    private static int indexAt(List<Insn> insns, int offset) {
        for (int i = 0; i < insns.size(); i++) if (insns.get(i).at() == offset) return i;
        throw new AssertionError("jump into the middle of an instruction at " + offset);
    }

    @Test
    void smpCallsReachKvmByItsInstructionAndEveryOtherCallReachesUserSpaceInBothModes() throws Exception {
        for (boolean longMode : new boolean[] {true, false}) {
            for (byte[] kernel : new byte[][] {HypercallPage.VMMCALL, HypercallPage.VMCALL}) {
                List<Insn> page = disassemble(HypercallPage.code(longMode, kernel), longMode);
                String expected = kernel == HypercallPage.VMMCALL ? "vmmcall" : "vmcall";
                String register = longMode ? "cx" : "ax";
                for (int code : HypercallPage.KERNEL_CALLS)
                    assertThat(walk(page, code, register)).as("call %#x", code).isEqualTo(expected);
                for (int code : new int[] {0x0001, 0x0004, 0x0008, 0x005C, 0x005D, 0x0016, 0x0102})
                    assertThat(walk(page, code, register)).as("call %#x", code).isEqualTo("user");
            }
        }
    }

    @Test
    void withoutKvmsHelpEveryCallReachesUserSpace() throws Exception {
        for (boolean longMode : new boolean[] {true, false}) {
            List<Insn> page = disassemble(HypercallPage.code(longMode, null), longMode);
            assertThat(walk(page, 0x0002, longMode ? "cx" : "ax")).isEqualTo("user");
        }
    }

    @Test
    void aLongModePageSendsFastSignalsWithFlagZeroToTheDoorbellPortAndTheRestAsBefore() throws Exception {
        for (byte[] kernel : new byte[][] {null, HypercallPage.VMMCALL}) {
            byte[] code = HypercallPage.code(true, kernel, true);
            List<Insn> page = disassemble(code, true);
            int rest = HypercallPage.FAST_SIGNAL.length;
            assertThat(page.subList(0, 9).stream().map(in -> (in.op() + " " + in.args()).strip()))
                    .containsExactly(
                            "cmp $0x1005d,%rcx",
                            "jne 0x%x".formatted(rest),
                            "mov %rdx,%rax",
                            "shr $0x20,%rax",
                            "jne 0x%x".formatted(rest),
                            "mov %edx,%eax",
                            "out %eax,$0xe9",
                            "xor %eax,%eax",
                            "ret");
            assertThat(page.get(6).at()).isEqualTo(HypercallPage.FAST_SIGNAL_OUT);
            assertThat(page.get(8).at()).isEqualTo(HypercallPage.FAST_SIGNAL_OUT + HypercallPage.FAST_SIGNAL_SKIP);
            // Past the prefix, the page is the one without it: every other call goes where it went.
            List<Insn> after = page.subList(indexAt(page, rest), page.size());
            assertThat(walk(after, 0x005C, "cx")).isEqualTo("user");
            assertThat(walk(after, 0x0002, "cx")).isEqualTo(kernel == null ? "user" : "vmmcall");
        }
        // A 32-bit page has no prefix (EAX is an input there).
        assertThat(HypercallPage.code(false, null, true)).isEqualTo(HypercallPage.code(false, null));
    }
}
