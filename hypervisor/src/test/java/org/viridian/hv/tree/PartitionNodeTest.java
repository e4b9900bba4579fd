package org.viridian.hv.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Delegation of processors and memory down the tree, and device requests served by the nearest provider above. */
class PartitionNodeTest {
    private static final long GIB = 1L << 30;

    @Test
    void childrenLiveWithinWhatTheirParentWasGiven() {
        PartitionNode root = PartitionNode.root(8, 16 * GIB);
        PartitionNode a = root.createChild("a", 4, 8 * GIB);
        root.createChild("b", 2, 4 * GIB);
        assertThat(root.freeProcessors()).isEqualTo(2);
        assertThat(root.freeMemory()).isEqualTo(4 * GIB);
        assertThatThrownBy(() -> root.createChild("c", 3, GIB)).hasMessageContaining("2 processors left");
        assertThatThrownBy(() -> root.createChild("c", 1, 5 * GIB)).hasMessageContaining("bytes left");
        PartitionNode aa = a.createChild("aa", 4, 6 * GIB);
        assertThat(aa.path()).isEqualTo("root/a/aa");
        assertThatThrownBy(() -> a.createChild("ab", 1, GIB))
                .as("a delegated all its processors")
                .hasMessageContaining("0 processors left");
        a.delete();
        assertThat(root.freeProcessors()).isEqualTo(6);
        assertThat(root.children()).extracting(PartitionNode::name).containsExactly("b");
        assertThatThrownBy(() -> aa.createChild("x", 1, GIB)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(root::delete).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void deviceRequestsGoToTheNearestProviderAboveAndUpToTheRoot() {
        PartitionNode root = PartitionNode.root(8, 16 * GIB);
        PartitionNode parent = root.createChild("parent", 4, 8 * GIB);
        PartitionNode child = parent.createChild("child", 2, 2 * GIB);
        List<String> served = new ArrayList<>();
        root.registerProvider("storage", (who, req) -> {
            served.add("root:" + who.name() + ":" + req);
            return "disk-from-root";
        });
        parent.registerProvider("network", (who, req) -> {
            served.add("parent:" + who.name() + ":" + req);
            return "nic-from-parent";
        });
        assertThat(child.request("network", "attach")).isEqualTo("nic-from-parent");
        assertThat(child.request("storage", "read"))
                .as("forwarded past the parent to the root")
                .isEqualTo("disk-from-root");
        assertThat(served).containsExactly("parent:child:attach", "root:child:read");
        assertThatThrownBy(() -> child.request("video", "x"))
                .hasMessageContaining("no partition above root/parent/child provides video");
        child.registerProvider("storage", (who, req) -> "own");
        assertThat(child.request("storage", "read"))
                .as("a partition's own providers serve its children, not itself")
                .isEqualTo("disk-from-root");
    }
}
