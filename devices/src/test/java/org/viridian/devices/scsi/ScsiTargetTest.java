package org.viridian.devices.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The target's own answers: REPORT LUNS and INQUIRY of an absent LUN, and routing to the LUNs present. */
class ScsiTargetTest {
    final ScsiTarget<String> target = new ScsiTarget<>();

    @Test
    void reportLunsListsThePresentLunsOnlyForThisTarget() {
        target.add(0, "a");
        target.add(3, "b");
        byte[] report = {(byte) 0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0};
        byte[] data = new byte[64];
        assertThat(target.route(true, 7, report, ScsiData.of(data))).isEqualTo(new ScsiTarget.Answered<String>(-1));
        assertThat(data[3]).isEqualTo((byte) 16);
        assertThat(data[9]).isZero();
        assertThat(data[17]).isEqualTo((byte) 3);
        byte[] other = new byte[64];
        target.route(false, 0, report, ScsiData.of(other));
        assertThat(other[3]).as("another target has no LUNs").isZero();
        byte[] cut = new byte[64];
        report[9] = 12;
        target.route(true, 0, report, ScsiData.of(cut));
        assertThat(cut[3]).isEqualTo((byte) 16);
        assertThat(cut[17]).as("cut to the allocation length").isZero();
        assertThat(target.route(true, 0, new byte[] {(byte) 0xA0, 0, 0}, ScsiData.NONE))
                .isInstanceOf(ScsiTarget.Malformed.class);
    }

    @Test
    void anAbsentLunAnswersInquiryWithQualifier3AndNothingElse() {
        target.add(0, "a");
        byte[] data = new byte[36];
        assertThat(target.route(true, 5, new byte[] {0x12, 0, 0, 0, 36, 0}, ScsiData.of(data)))
                .isEqualTo(new ScsiTarget.Answered<String>(36));
        assertThat(data[0]).isEqualTo((byte) 0x7F);
        assertThat(target.route(true, 5, new byte[] {0x00, 0, 0, 0, 0, 0}, ScsiData.NONE))
                .isInstanceOf(ScsiTarget.NoLun.class);
        assertThat(target.route(false, 0, new byte[] {0x00, 0, 0, 0, 0, 0}, ScsiData.NONE))
                .isInstanceOf(ScsiTarget.NoLun.class);
        assertThat(target.route(true, 0, new byte[] {0x12, 0, 0, 0, 36, 0}, ScsiData.NONE))
                .isEqualTo(new ScsiTarget.ToLun<>("a"));
    }

    @Test
    void lunsAreAddedOnceAndInRange() {
        target.add(1, "x");
        assertThatThrownBy(() -> target.add(1, "y")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> target.add(255, "y")).isInstanceOf(IllegalArgumentException.class);
        assertThat(target.remove(1)).isEqualTo("x");
        assertThat(target.remove(1)).isNull();
    }
}
