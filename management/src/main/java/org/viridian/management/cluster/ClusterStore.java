package org.viridian.management.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The cluster's records in ZooKeeper, typed: every path and every transaction the cluster makes is here.
 *
 * <pre>
 * /viridian/hosts/NAME   ephemeral  HostRecord: the host's lease (exists while its session does)
 * /viridian/vms/ID       persistent ClusteredVm: a highly available VM's definition and settings
 * /viridian/owners/ID    ephemeral  OwnerRecord: who owns the VM, since which epoch (goes with the owner's lease)
 * /viridian/epochs/ID    persistent its version is the VM's owner epoch, advanced by every claim
 * /viridian/drain/NAME   persistent the host is asked to move its VMs away
 * </pre>
 */
final class ClusterStore {
    static final String ROOT = "/viridian",
            HOSTS = ROOT + "/hosts",
            VMS = ROOT + "/vms",
            OWNERS = ROOT + "/owners",
            EPOCHS = ROOT + "/epochs",
            DRAIN = ROOT + "/drain";

    private final CuratorFramework zk;
    private final ObjectMapper json;

    ClusterStore(CuratorFramework zk, ObjectMapper json) {
        this.zk = zk;
        this.json = json;
    }

    void createTree() throws Exception {
        for (String p : List.of(HOSTS, VMS, OWNERS, EPOCHS, DRAIN)) {
            try {
                zk.create().creatingParentsIfNeeded().forPath(p);
            } catch (KeeperException.NodeExistsException ignored) {
                // made by another member
            }
        }
    }

    /** A record with the version it was read at (for compare-and-set) and, for ephemeral nodes, its session. */
    record Versioned<T>(T value, int version, long session) {}

    /** Everything a reconcile pass decides from, read in one go. */
    record Snapshot(
            Map<String, Versioned<HostRecord>> hosts,
            Map<UUID, Versioned<ClusteredVm>> vms,
            Map<UUID, Versioned<OwnerRecord>> owners,
            List<String> draining) {
        List<HostRecord> liveHosts() {
            List<HostRecord> out = new ArrayList<>();
            for (Versioned<HostRecord> h : hosts.values()) {
                HostRecord r = h.value();
                out.add(
                        draining.contains(r.name())
                                ? new HostRecord(
                                        r.name(),
                                        r.url(),
                                        r.health(),
                                        r.memoryForVms(),
                                        r.memoryFree(),
                                        r.processors(),
                                        r.storageId(),
                                        r.sharedStorage(),
                                        r.joined(),
                                        r.updated(),
                                        true,
                                        r.vms())
                                : r);
            }
            return out;
        }
    }

    Snapshot read() throws Exception {
        Map<String, Versioned<HostRecord>> hosts = new LinkedHashMap<>();
        for (String h : children(HOSTS)) {
            Versioned<HostRecord> r = get(HOSTS + "/" + h, HostRecord.class);
            if (r != null) hosts.put(h, r);
        }
        Map<UUID, Versioned<ClusteredVm>> vms = new LinkedHashMap<>();
        for (String id : children(VMS)) {
            Versioned<ClusteredVm> r = get(VMS + "/" + id, ClusteredVm.class);
            if (r != null) vms.put(UUID.fromString(id), r);
        }
        Map<UUID, Versioned<OwnerRecord>> owners = new LinkedHashMap<>();
        for (String id : children(OWNERS)) {
            Versioned<OwnerRecord> r = get(OWNERS + "/" + id, OwnerRecord.class);
            if (r != null) owners.put(UUID.fromString(id), r);
        }
        return new Snapshot(hosts, vms, owners, children(DRAIN));
    }

    private List<String> children(String path) throws Exception {
        return zk.getChildren().forPath(path).stream().sorted().toList();
    }

    /** The record at {@code path}, or null where there is none (it went between the listing and the read). */
    <T> Versioned<T> get(String path, Class<T> type) throws Exception {
        Stat stat = new Stat();
        try {
            byte[] data = zk.getData().storingStatIn(stat).forPath(path);
            return new Versioned<>(json.readValue(data, type), stat.getVersion(), stat.getEphemeralOwner());
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    byte[] bytes(Object o) {
        try {
            return json.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Registers this host's lease node: false when another process's node of the same name still exists (a host
     * restarted before its previous session expired); one of {@code ours} (an earlier session of this process) is
     * replaced in one transaction.
     */
    boolean register(HostRecord r, long session, java.util.Set<Long> ours) throws Exception {
        String p = HOSTS + "/" + r.name();
        try {
            zk.create().withMode(CreateMode.EPHEMERAL).forPath(p, bytes(r));
            return true;
        } catch (KeeperException.NodeExistsException e) {
            Stat s = zk.checkExists().forPath(p);
            if (s == null || s.getEphemeralOwner() == session) return s != null;
            if (!ours.contains(s.getEphemeralOwner())) return false;
            try {
                zk.transaction()
                        .forOperations(
                                zk.transactionOp()
                                        .delete()
                                        .withVersion(s.getVersion())
                                        .forPath(p),
                                zk.transactionOp()
                                        .create()
                                        .withMode(CreateMode.EPHEMERAL)
                                        .forPath(p, bytes(r)));
                return true;
            } catch (KeeperException x) {
                return false;
            }
        }
    }

    /**
     * Moves an owner node of an earlier session of this host to the current one, advancing the epoch, atomically;
     * returns the new epoch, or -1 when the node changed meanwhile (expired, or taken).
     */
    long reown(UUID id, Versioned<OwnerRecord> old, String host, java.time.Instant now) throws Exception {
        Stat s = zk.checkExists().forPath(EPOCHS + "/" + id);
        if (s == null) return -1;
        long epoch = s.getVersion() + 1L;
        try {
            zk.transaction()
                    .forOperations(
                            zk.transactionOp()
                                    .delete()
                                    .withVersion(old.version())
                                    .forPath(OWNERS + "/" + id),
                            zk.transactionOp()
                                    .setData()
                                    .withVersion(s.getVersion())
                                    .forPath(EPOCHS + "/" + id, bytes(host)),
                            zk.transactionOp()
                                    .create()
                                    .withMode(CreateMode.EPHEMERAL)
                                    .forPath(OWNERS + "/" + id, bytes(new OwnerRecord(host, epoch, now))));
            return epoch;
        } catch (KeeperException e) {
            return -1;
        }
    }

    /**
     * Makes a VM highly available, owned by {@code host} from epoch 1: its record, its epoch counter and its owner
     * node in one transaction.
     */
    void createClustered(UUID id, ClusteredVm vm, String host, java.time.Instant now) throws Exception {
        zk.transaction()
                .forOperations(
                        zk.transactionOp().create().forPath(VMS + "/" + id, bytes(vm)),
                        zk.transactionOp().create().forPath(EPOCHS + "/" + id, bytes(host)),
                        zk.transactionOp().setData().withVersion(0).forPath(EPOCHS + "/" + id, bytes(host)),
                        zk.transactionOp()
                                .create()
                                .withMode(CreateMode.EPHEMERAL)
                                .forPath(OWNERS + "/" + id, bytes(new OwnerRecord(host, 1, now))));
    }

    /**
     * Claims an ownerless VM for {@code host}: advances its epoch (compare-and-set on the counter's version) and
     * creates its owner node, atomically; returns the new epoch, or -1 when another host claimed it first.
     */
    long claim(UUID id, String host, java.time.Instant now) throws Exception {
        Stat s = zk.checkExists().forPath(EPOCHS + "/" + id);
        if (s == null) return -1;
        long epoch = s.getVersion() + 1L;
        try {
            zk.transaction()
                    .forOperations(
                            zk.transactionOp()
                                    .setData()
                                    .withVersion(s.getVersion())
                                    .forPath(EPOCHS + "/" + id, bytes(host)),
                            zk.transactionOp()
                                    .create()
                                    .withMode(CreateMode.EPHEMERAL)
                                    .forPath(OWNERS + "/" + id, bytes(new OwnerRecord(host, epoch, now))));
            return epoch;
        } catch (KeeperException.NodeExistsException | KeeperException.BadVersionException e) {
            return -1;
        }
    }

    /** Whether this session owns the VM at {@code epoch} now (read from the ensemble's leader, not a cache). */
    boolean owns(UUID id, long session, long epoch) throws Exception {
        zk.sync().forPath(OWNERS + "/" + id);
        Versioned<OwnerRecord> o = get(OWNERS + "/" + id, OwnerRecord.class);
        return o != null && o.session() == session && o.value().epoch() == epoch;
    }

    /** Gives up ownership, optionally writing the VM's record (a planned move's handoff) in the same transaction. */
    void release(UUID id, Versioned<ClusteredVm> updated, ClusteredVm next) throws Exception {
        List<CuratorOp> ops = new ArrayList<>();
        if (next != null)
            ops.add(zk.transactionOp().setData().withVersion(updated.version()).forPath(VMS + "/" + id, bytes(next)));
        ops.add(zk.transactionOp().delete().forPath(OWNERS + "/" + id));
        zk.transaction().forOperations(ops);
    }

    /** Compare-and-set of a VM's record; false when it changed meanwhile. */
    boolean update(UUID id, int version, ClusteredVm next) throws Exception {
        try {
            zk.setData().withVersion(version).forPath(VMS + "/" + id, bytes(next));
            return true;
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
            return false;
        }
    }

    /** Removes a VM from the cluster (its owner does): record, owner and epoch go together. */
    void removeClustered(UUID id) throws Exception {
        zk.transaction()
                .forOperations(
                        zk.transactionOp().delete().forPath(OWNERS + "/" + id),
                        zk.transactionOp().delete().forPath(VMS + "/" + id),
                        zk.transactionOp().delete().forPath(EPOCHS + "/" + id));
    }

    void drain(String host, boolean on) throws Exception {
        try {
            if (on) zk.create().forPath(DRAIN + "/" + host);
            else zk.delete().forPath(DRAIN + "/" + host);
        } catch (KeeperException.NodeExistsException | KeeperException.NoNodeException ignored) {
            // already so
        }
    }
}
