package org.viridian.hv.tree;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A partition in the partition tree, as the seed's architecture has it: the root partition owns the host's processors
 * and memory; a parent creates children only within what was delegated to it and not yet handed on; and a device
 * request a child cannot serve itself goes to its parent's providers, then further up, to the root. Thread-safe.
 */
public final class PartitionNode {
    /** A device provider (a VSP) registered at a partition, serving its descendants' requests of one kind. */
    @FunctionalInterface
    public interface Provider {
        Object serve(PartitionNode requester, Object request);
    }

    private final String name;
    private final PartitionNode parent;
    private final int processors;
    private final long memoryBytes;
    private final List<PartitionNode> children = new ArrayList<>();
    private final Map<String, Provider> providers = new ConcurrentHashMap<>();
    private boolean deleted;

    private PartitionNode(String name, PartitionNode parent, int processors, long memoryBytes) {
        this.name = name;
        this.parent = parent;
        this.processors = processors;
        this.memoryBytes = memoryBytes;
    }

    /** The root partition, owning everything the host has. */
    public static PartitionNode root(int processors, long memoryBytes) {
        if (processors < 1 || memoryBytes <= 0)
            throw new IllegalArgumentException("the root needs processors and memory");
        return new PartitionNode("root", null, processors, memoryBytes);
    }

    /** Creates a child with processors and memory delegated from what this partition has left. */
    public synchronized PartitionNode createChild(String childName, int childProcessors, long childMemory) {
        if (deleted) throw new IllegalStateException(name + " has been deleted");
        if (childProcessors < 1 || childMemory <= 0)
            throw new IllegalArgumentException("a partition needs processors and memory");
        if (childProcessors > freeProcessors()) {
            throw new IllegalArgumentException(
                    name + " has " + freeProcessors() + " processors left to delegate, not " + childProcessors);
        }
        if (childMemory > freeMemory()) {
            throw new IllegalArgumentException(
                    name + " has " + freeMemory() + " bytes left to delegate, not " + childMemory);
        }
        PartitionNode child = new PartitionNode(childName, this, childProcessors, childMemory);
        children.add(child);
        return child;
    }

    /** Deletes this partition and its descendants, returning their resources to the parent. */
    public void delete() {
        if (parent == null) throw new IllegalStateException("the root partition cannot be deleted");
        synchronized (parent) {
            synchronized (this) {
                for (PartitionNode c : List.copyOf(children)) c.delete();
                deleted = true;
            }
            parent.children.remove(this);
        }
    }

    /**
     * Processors are delegated, not partitioned exclusively: a child's VPs run on its parent's processors, so the sum
     * of the children's VPs may not exceed the parent's own count.
     */
    public synchronized int freeProcessors() {
        return processors - children.stream().mapToInt(c -> c.processors).sum();
    }

    public synchronized long freeMemory() {
        return memoryBytes - children.stream().mapToLong(c -> c.memoryBytes).sum();
    }

    public void registerProvider(String kind, Provider provider) {
        providers.put(kind, provider);
    }

    /** Serves a device request at the nearest ancestor (this partition excluded) that provides {@code kind}. */
    public Object request(String kind, Object request) {
        for (PartitionNode p = parent; p != null; p = p.parent) {
            Provider provider = p.providers.get(kind);
            if (provider != null) return provider.serve(this, request);
        }
        throw new IllegalStateException("no partition above " + path() + " provides " + kind);
    }

    public String name() {
        return name;
    }

    public Optional<PartitionNode> parent() {
        return Optional.ofNullable(parent);
    }

    public synchronized List<PartitionNode> children() {
        return List.copyOf(children);
    }

    public int processors() {
        return processors;
    }

    public long memoryBytes() {
        return memoryBytes;
    }

    /** root/child/grandchild */
    public String path() {
        return parent == null ? name : parent.path() + "/" + name;
    }
}
