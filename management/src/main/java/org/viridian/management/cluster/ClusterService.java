package org.viridian.management.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;
import org.viridian.management.cluster.ClusterStore.Snapshot;
import org.viridian.management.cluster.ClusterStore.Versioned;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.Disk;
import org.viridian.management.config.InvalidConfigException;
import org.viridian.management.config.VmConfig;
import org.viridian.management.events.Event;
import org.viridian.management.events.EventBus;
import org.viridian.management.service.ServiceException;
import org.viridian.management.service.VmService;
import org.viridian.management.service.VmView;
import org.viridian.management.state.VmState;

/**
 * This host as a member of a failover cluster (`viridian serve --cluster …`), on Apache ZooKeeper through Curator.
 *
 * <ul>
 *   <li><b>Lease</b>: the host's ZooKeeper session; its ephemeral node /viridian/hosts/NAME carries its health and
 *       capacity, rewritten every heartbeat (a twentieth of the session timeout), and each acknowledged heartbeat renews
 *       this host's own view of the lease ({@link Lease}).
 *   <li><b>Ownership</b>: each highly available VM has one owner node, ephemeral in its owner's session, created
 *       together with an epoch advance (ZooKeeper transaction) — a per-VM lock that dies with its holder. A host starts
 *       a clustered VM only after checking, on the leader, that it still holds that node at its epoch.
 *   <li><b>Failover</b>: every member reconciles every 250 ms: ownerless VMs that should run are placed ({@link
 *       Placement}, highest priority first, within the free memory admission control counts) and the chosen host
 *       claims and starts them.
 *   <li><b>Fencing</b>: when the lease has gone unrenewed for 3/4 of the session timeout, this host powers off its
 *       clustered VMs, before the ensemble could expire the session and hand them to another host — unless the
 *       ensemble is provably down entirely ({@link QuorumProbe}): then nobody can take them, and they run on.
 *   <li><b>Planned moves</b> (drain, move, failback): {@link PlannedMove}: quick migration ({@link QuickMove}: saved
 *       here to the shared storage, restored there, the guest runs on) where the host has shared storage, else (and
 *       for a VM whose save is refused) a clean stop here and a start there ({@link ColdMove}).
 * </ul>
 */
public final class ClusterService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ClusterService.class.getName());
    /** How long a preferred owner must have been back before its VMs fail back to it. */
    static final Duration FAILBACK_SETTLE = Duration.ofSeconds(2);
    /** How long an ownerless VM waits for the host placement chose before any member may claim it. */
    static final Duration ORPHAN_GRACE = Duration.ofSeconds(2);
    /** How long a host that could not start a VM leaves it to the others. */
    static final Duration REFUSED_BACKOFF = Duration.ofSeconds(5);

    /** This member's health, as `cluster status` shows it. */
    public enum Health {
        JOINING("joining: not yet registered with the ensemble"),
        OK("ok"),
        SUSPENDED("lost contact with the ensemble: clustered VMs keep running until the fence deadline"),
        ISOLATED("isolated: no contact with the ensemble past the fence deadline, clustered VMs were stopped here"),
        ENGINE_DOWN("the coordination engine is down (no quorum anywhere): clustered VMs keep running, unmonitored");

        public final String detail;

        Health(String detail) {
            this.detail = detail;
        }

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private final ClusterOptions options;
    private final VmService vms;
    private final Clock clock;
    private final CuratorFramework zk;
    private final ClusterStore store;
    private final Lease lease;
    private final PlannedMove moves;
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("cluster-heartbeat").daemon().factory());
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("cluster").daemon().factory());
    private final String url;
    private final String storageId;
    private final Instant joined;
    private final AutoCloseable subscription;

    private volatile Health health = Health.JOINING;
    private volatile boolean registered;
    private volatile Snapshot last;
    private volatile long session;
    /**
     * Every session this process has had. Curator gives up a session after a timeout's worth of silence and opens a
     * new one, while an ensemble that was down entirely restores the old one (with a fresh timeout): the nodes of an
     * old session of ours are taken over in one transaction each, before that session can expire ({@link #reown}).
     */
    private final Set<Long> ourSessions = ConcurrentHashMap.newKeySet();
    /** The current session's password, to reattach to it ({@link SessionKeeper}) once Curator gives it up. */
    private volatile byte[] sessionPassword;
    /** Keeps an earlier session of ours alive while its owner nodes are carried over (null: none). */
    private volatile SessionKeeper keeper;
    /** Clustered VMs known from the last reconcile (the fence stops those active here). */
    private final Set<UUID> clustered = ConcurrentHashMap.newKeySet();
    /**
     * When (System.nanoTime) each VM's cluster record was created here ({@link #BEING_MADE_AVAILABLE} while it is
     * written): a reconcile whose snapshot was read before that must not drop it from {@link #clustered} (its start,
     * right after, would go unrecorded: the record would say it should not run, and a move would not start it).
     */
    private final Map<UUID, Long> madeHighlyAvailable = new ConcurrentHashMap<>();
    /** VMs the fence stopped here: started again if this host still owns them once the lease is back. */
    private final Set<UUID> fenced = ConcurrentHashMap.newKeySet();
    /** Stops and removals the cluster itself makes: they do not change whether the VM should run. */
    private final Set<UUID> clusterStops = ConcurrentHashMap.newKeySet();
    /**
     * A record being created: its time is taken once it exists, since a snapshot read that began between the mark and
     * the write does not see it (seen in CI: such a read dropped the VM, its start went unrecorded).
     */
    private static final long BEING_MADE_AVAILABLE = Long.MAX_VALUE;

    private final Set<UUID> forgetting = ConcurrentHashMap.newKeySet();
    /** Worker thread only: since when each VM has been ownerless (monotonic ns), and claims backed off until. */
    private final Map<UUID, Long> orphanSince = new HashMap<>();

    private final Map<UUID, Long> backoffUntil = new HashMap<>();
    /** Worker thread only: VMs started here by a cold move whose pause ends when they run (from the source's stop). */
    private final Map<UUID, Instant> pausedUntilRunning = new HashMap<>();

    private ClusterService(ClusterOptions options, VmService vms, EventBus events, String url, Clock clock)
            throws IOException {
        this.options = options;
        this.vms = vms;
        this.clock = clock;
        this.url = url;
        this.joined = clock.instant();
        this.storageId = options.sharedStorage() == null ? null : storageId(options.sharedStorage());
        ObjectMapper json = org.viridian.management.config.Json.mapper();
        int timeout = (int) options.sessionTimeout().toMillis();
        zk = CuratorFrameworkFactory.builder()
                .connectString(options.connect())
                .sessionTimeoutMs(timeout)
                .connectionTimeoutMs(Math.max(500, timeout / 3))
                .retryPolicy(new RetryNTimes(1, 100))
                // The members given are the ones to use (they may be proxies, or the only addresses this host may
                // reach): the ensemble's own list of its servers must not replace them.
                .ensembleTracker(false)
                .build();
        store = new ClusterStore(zk, json);
        lease = new Lease(options.sessionTimeout(), System.nanoTime());
        ColdMove cold = new ColdMove(vms, this::awaitInactive, options.hostName(), clock);
        moves = options.sharedStorage() == null
                ? cold
                : new QuickMove(vms, cold, options.sharedStorage(), options.hostName(), clock);
        zk.getConnectionStateListenable().addListener(this::connectionChanged);
        subscription = events.subscribe(this::onEvent);
    }

    /** Joins the cluster: connects (in the background; the service serves meanwhile) and starts the loops. */
    public static ClusterService start(ClusterOptions options, VmService vms, EventBus events, String url)
            throws IOException {
        ClusterService c = new ClusterService(options, vms, events, url, Clock.systemUTC());
        c.zk.start();
        long beat = Math.max(50, options.sessionTimeout().toMillis() / 20);
        c.heartbeat.scheduleWithFixedDelay(c::heartbeatTick, 0, beat, TimeUnit.MILLISECONDS);
        c.worker.scheduleWithFixedDelay(c::reconcileTick, 100, 250, TimeUnit.MILLISECONDS);
        LOG.log(
                System.Logger.Level.INFO,
                "cluster: joining as '" + options.hostName() + "' via " + options.connect() + " (session timeout "
                        + options.sessionTimeout().toMillis() + " ms)");
        return c;
    }

    public String hostName() {
        return options.hostName();
    }

    public Health health() {
        return health;
    }

    /**
     * The shared storage's identity: a random id kept in a file at its root, made by the first host that used it; two
     * hosts that read the same id see the same directory.
     */
    private static String storageId(Path root) throws IOException {
        Path f = root.resolve(".viridian-storage-id");
        try {
            Files.writeString(
                    f,
                    UUID.randomUUID().toString(),
                    StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE_NEW);
        } catch (FileAlreadyExistsException ignored) {
            // another host made it first
        }
        for (int i = 0; i < 50; i++) {
            String id = Files.readString(f, StandardCharsets.UTF_8).strip();
            if (!id.isEmpty()) return id;
            sleep(20);
        }
        throw new IOException(f + " is empty");
    }

    private void connectionChanged(CuratorFramework c, ConnectionState s) {
        LOG.log(
                System.Logger.Level.INFO,
                "cluster: connection to the ensemble " + s.name().toLowerCase());
        if (s == ConnectionState.CONNECTED || s == ConnectionState.RECONNECTED) {
            heartbeat.execute(this::heartbeatTick);
            try {
                long id = zk.getZookeeperClient().getZooKeeper().getSessionId();
                if (id != session) registered = false;
                if (ourSessions.isEmpty()) lease.bind(id, Long.MIN_VALUE);
                ourSessions.add(id);
                session = id;
                sessionPassword = zk.getZookeeperClient().getZooKeeper().getSessionPasswd();
                lease.timeout(
                        Duration.ofMillis(zk.getZookeeperClient().getZooKeeper().getSessionTimeout()));
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "cluster: cannot read the session: " + e);
            }
        } else if (s == ConnectionState.LOST) {
            registered = false;
            // Curator gives a session up after a timeout's worth of silence, though the ensemble may still hold it
            // (it restores sessions after an outage): reattach to it, so the lease bound to it can be renewed until
            // its owner nodes are carried over to the new session.
            if (keeper == null && session != 0 && sessionPassword != null) {
                try {
                    keeper = new SessionKeeper(options.connect(), lease.timeout(), session, sessionPassword);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cluster: cannot reattach to the old session: " + e);
                }
            }
        }
    }

    // ---- heartbeat and fence (own thread: a slow reconcile or VM start must not delay them) ----

    private void heartbeatTick() {
        try {
            long now = System.nanoTime();
            if (zk.getZookeeperClient().isConnected()) beat(now);
            SessionKeeper k = keeper;
            if (k != null) k.touch(now, lease::acked);
            watchdog(now);
            passOnLease();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: heartbeat: " + e);
        }
    }

    private void beat(long sent) {
        long sid = session;
        try {
            if (!registered) {
                store.createTree();
                registered = store.register(record(), session, ourSessions);
                if (registered) {
                    lease.acked(sent, sid);
                    LOG.log(System.Logger.Level.INFO, "cluster: registered as '" + options.hostName() + "'");
                    // At once, not at the next reconcile: the owner nodes of an earlier session of ours must be
                    // carried over before that session's lease runs out.
                    long readAt = System.nanoTime();
                    reown(store.read(), readAt);
                }
                return;
            }
            zk.setData()
                    .inBackground((client, event) -> {
                        if (event.getResultCode() == KeeperException.Code.OK.intValue()) lease.acked(sent, sid);
                        else if (event.getResultCode() == KeeperException.Code.NONODE.intValue()) registered = false;
                    })
                    .forPath(ClusterStore.HOSTS + "/" + options.hostName(), store.bytes(record()));
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "cluster: heartbeat not sent: " + e);
        }
    }

    private void watchdog(long now) {
        if (lease.inDoubt(now)) {
            QuorumProbe.Verdict v = QuorumProbe.probe(
                    options.members(),
                    Duration.ofMillis(Math.min(1000, lease.timeout().toMillis() / 4)));
            if (v.noQuorum()) lease.noQuorum(now);
        }
        if (lease.expired(now)) {
            if (health != Health.ISOLATED)
                LOG.log(
                        System.Logger.Level.WARNING,
                        "cluster: no contact with the ensemble for " + lease.silence(now) / 1_000_000
                                + " ms: stopping this host's clustered VMs (fence)");
            health = Health.ISOLATED;
            fence();
        } else if (lease.renewedByProbe() && lease.inDoubt(now)) {
            if (health != Health.ENGINE_DOWN)
                LOG.log(System.Logger.Level.WARNING, "cluster: " + Health.ENGINE_DOWN.detail);
            health = Health.ENGINE_DOWN;
        } else if (lease.inDoubt(now)) {
            if (health == Health.OK) health = Health.SUSPENDED;
        } else if (registered) {
            health = Health.OK;
        }
    }

    /**
     * Tells the engine each clustered VM's fence deadline: a VM in a worker process stops itself at it when this
     * service is killed or hangs and no longer renews it.
     */
    private void passOnLease() {
        long deadline = lease.deadline();
        for (UUID id : clustered) {
            Optional<VmView> v = vms.find(id);
            if (v.isPresent() && v.get().status().state().isActive())
                vms.engine().lease(id, deadline);
        }
    }

    /** Powers off every clustered VM active here (each tick while the lease is expired: one may be starting). */
    private void fence() {
        for (UUID id : clustered) {
            Optional<VmView> v = vms.find(id);
            if (v.isEmpty() || !v.get().status().state().isActive()) continue;
            fenced.add(id);
            clusterStops.add(id);
            try {
                vms.stop(id.toString(), false);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "cluster: fence of " + id + ": " + e.getMessage());
            }
        }
    }

    private HostRecord record() {
        VmService.HostView h = vms.host();
        long forVms = h.host().memTotal() - h.rootReserve();
        Map<String, String> running = new LinkedHashMap<>();
        for (UUID id : clustered) {
            vms.find(id)
                    .ifPresent(
                            v -> running.put(id.toString(), v.status().state().wire()));
        }
        return new HostRecord(
                options.hostName(),
                url,
                health.wire(),
                forVms,
                forVms - h.givenToVms(),
                h.host().logicalProcessors(),
                storageId,
                options.sharedStorage() == null ? null : options.sharedStorage().toString(),
                joined,
                clock.instant(),
                false,
                running);
    }

    // ---- reconcile (the worker thread) ----

    private void reconcileTick() {
        if (!registered || !zk.getZookeeperClient().isConnected()) return;
        try {
            long readAt = System.nanoTime();
            Snapshot s = store.read();
            last = s;
            clustered.addAll(s.vms().keySet());
            madeHighlyAvailable.keySet().removeAll(s.vms().keySet());
            clustered.removeIf(id -> !s.vms().containsKey(id) && madeBefore(id, readAt));
            reown(s, readAt);
            // Past the fence deadline this host only watches, until a renewal of its (new) session's lease.
            if (lease.expired(System.nanoTime())) return;
            dropStaleCopies(s);
            List<HostRecord> hosts = s.liveHosts();
            for (var e : s.vms().entrySet()) {
                Versioned<OwnerRecord> o = s.owners().get(e.getKey());
                if (o != null && o.session() == session) manageOwned(e.getKey(), e.getValue(), o, s, hosts);
            }
            failover(s, hosts);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "cluster: reconcile: " + e);
        }
    }

    /** Whether {@code id}'s record, if this host made it, existed before a snapshot read that began at {@code readAt}. */
    private boolean madeBefore(UUID id, long readAt) {
        Long made = madeHighlyAvailable.get(id);
        return made == null || (made != BEING_MADE_AVAILABLE && made - readAt <= 0);
    }

    /**
     * Owner nodes of an earlier session of this process (the ensemble restored it after an outage, while Curator moved
     * on to a new one) become this session's, each in one transaction that also advances the epoch: the old node
     * existed until then, so no other host owned the VM meanwhile. Until none is left, only the old session's renewals
     * count for the lease, so the fence still guards the VMs those nodes hold.
     */
    private synchronized void reown(Snapshot s, long readAt) throws Exception {
        boolean old = false;
        for (var e : s.owners().entrySet()) {
            long owner = e.getValue().session();
            if (owner == session || !ourSessions.contains(owner)) continue;
            if (store.reown(e.getKey(), e.getValue(), options.hostName(), clock.instant()) < 0) old = true;
            else LOG.log(System.Logger.Level.INFO, "cluster: VM " + e.getKey() + " carried over to the new session");
        }
        if (!old) {
            lease.bind(session, readAt);
            SessionKeeper k = keeper;
            keeper = null;
            if (k != null) k.close();
        }
    }

    /** Local definitions of clustered VMs another host owns now: stopped (if somehow active) and removed. */
    private void dropStaleCopies(Snapshot s) throws IOException {
        for (var e : s.owners().entrySet()) {
            if (ourSessions.contains(e.getValue().session())) continue;
            UUID id = e.getKey();
            Optional<VmView> v = vms.find(id);
            if (v.isEmpty()) continue;
            if (v.get().status().state().isActive()) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "cluster: VM '" + v.get().config().name() + "' is owned by '"
                                + e.getValue().value().host() + "' (epoch "
                                + e.getValue().value().epoch() + "): stopping it here");
                clusterStops.add(id);
                try {
                    vms.stop(id.toString(), false);
                } catch (RuntimeException x) {
                    LOG.log(System.Logger.Level.DEBUG, "cluster: " + x.getMessage());
                }
            } else {
                forgetting.add(id);
                if (!vms.forget(id)) forgetting.remove(id);
            }
        }
    }

    /** A VM this host owns: back after a fence, or moved away (asked, draining, failback). */
    private void manageOwned(
            UUID id, Versioned<ClusteredVm> vm, Versioned<OwnerRecord> owner, Snapshot s, List<HostRecord> hosts)
            throws Exception {
        if (fenced.remove(id) && vm.value().running()) {
            LOG.log(
                    System.Logger.Level.INFO,
                    "cluster: lease back, starting fenced VM '"
                            + vm.value().config().name() + "' again");
            startOwned(id, vm.value(), owner.value().epoch(), null, false);
            return;
        }
        String me = options.hostName();
        Optional<HostRecord> to = Optional.empty();
        String why = null;
        String asked = vm.value().moveTo();
        if (asked != null && !asked.equals(me)) {
            to = hosts.stream().filter(h -> h.name().equals(asked)).findFirst();
            why = "moved on request";
        } else if (s.draining().contains(me)) {
            to = Placement.target(vm.value(), hosts, Map.of(), me);
            why = "host draining";
        } else {
            to = Placement.failback(vm.value(), me, hosts, clock.instant(), FAILBACK_SETTLE);
            why = "failback to a preferred owner";
        }
        if (to.isEmpty()) return;
        String target = to.get().name();
        LOG.log(
                System.Logger.Level.INFO,
                "cluster: moving VM '" + vm.value().config().name() + "' to '" + target + "' (" + why + ")");
        clusterStops.add(id);
        // Whether it runs is what this host, its owner, sees now: the record follows by events, which can lag.
        boolean running = vms.find(id)
                .map(x -> x.status().state().isActive() && x.status().state() != VmState.STOPPING)
                .orElse(false);
        Handoff handoff = moves.leave(id, owner.value().epoch());
        try {
            store.release(id, vm, vm.value().withRunning(running).withMove(target, handoff));
        } catch (Exception x) {
            // Still ours (the record changed meanwhile, or the ensemble did not answer): it runs on here, from its
            // saved state where it has one — unless ownership is gone after all, which startOwned checks first.
            LOG.log(
                    System.Logger.Level.WARNING,
                    "cluster: could not hand VM '" + vm.value().config().name() + "' over (" + x
                            + "): resuming it here");
            startOwned(id, vm.value(), owner.value().epoch(), handoff, false);
            return;
        }
        fenced.remove(id);
    }

    /** Ownerless VMs, highest priority first: the host placement chooses claims each (any host after a grace). */
    private void failover(Snapshot s, List<HostRecord> hosts) throws Exception {
        long now = System.nanoTime();
        orphanSince.keySet().retainAll(s.vms().keySet());
        List<Map.Entry<UUID, Versioned<ClusteredVm>>> orphans = new ArrayList<>();
        for (var e : s.vms().entrySet()) {
            if (s.owners().containsKey(e.getKey())) orphanSince.remove(e.getKey());
            else {
                orphanSince.putIfAbsent(e.getKey(), now);
                orphans.add(e);
            }
        }
        orphans.sort(Comparator.comparingInt((Map.Entry<UUID, Versioned<ClusteredVm>> e) ->
                        -e.getValue().value().priority().weight)
                .thenComparing(e -> e.getValue().value().config().name()));
        Map<String, Long> placed = new HashMap<>();
        String me = options.hostName();
        for (var e : orphans) {
            UUID id = e.getKey();
            ClusteredVm vm = e.getValue().value();
            if (backoffUntil.getOrDefault(id, now) - now > 0) continue;
            boolean late = now - orphanSince.get(id) > ORPHAN_GRACE.toNanos();
            String chosen =
                    vm.moveTo() != null && hosts.stream().anyMatch(h -> h.name().equals(vm.moveTo()))
                            ? vm.moveTo()
                            : Placement.target(vm, hosts, placed, null)
                                    .map(HostRecord::name)
                                    .orElse(null);
            if (chosen != null)
                placed.merge(chosen, org.viridian.management.resources.Admission.need(vm.config()), Long::sum);
            if (!me.equals(chosen) && !(late && fits(vm, hosts, me))) continue;
            claimAndStart(id, e.getValue());
        }
    }

    private boolean fits(ClusteredVm vm, List<HostRecord> hosts, String me) {
        return hosts.stream()
                .anyMatch(h -> h.name().equals(me)
                        && Placement.target(vm, List.of(h), Map.of(), null).isPresent());
    }

    private void claimAndStart(UUID id, Versioned<ClusteredVm> vm) throws Exception {
        ClusteredVm v = vm.value();
        Optional<VmView> local = vms.find(id);
        if (local.isPresent() && local.get().status().state().isActive()) return;
        if (v.running()) {
            Optional<String> refusal = vms.admissionRefusal(v.config());
            if (refusal.isPresent()) {
                backoff(id, "cannot take VM '" + v.config().name() + "': " + refusal.get());
                return;
            }
        }
        long epoch = store.claim(id, options.hostName(), clock.instant());
        if (epoch < 0) return;
        // The record as of the claim, not the snapshot's: a snapshot reads records and owners one node after the
        // other, so it can pair a record from before a planned move's release (no handoff) with the owner gone. Read
        // after this session's claim, it holds whatever the releasing owner wrote in its transaction.
        Versioned<ClusteredVm> now = store.get(ClusterStore.VMS + "/" + id, ClusteredVm.class);
        for (int attempt = 0; now != null && now.value().moveTo() != null && attempt < 5; attempt++) {
            // The handoff is taken out of the record by the one host whose claim won: it is acted on once.
            if (store.update(id, now.version(), now.value().withMove(null, null))) break;
            now = store.get(ClusterStore.VMS + "/" + id, ClusteredVm.class);
        }
        if (now == null) return; // taken out of the cluster meanwhile: its owner node went with it
        v = now.value();
        LOG.log(
                System.Logger.Level.INFO,
                "cluster: took VM '" + v.config().name() + "' (epoch " + epoch + ")"
                        + (v.running() ? ", starting it" : ""));
        try {
            vms.adopt(v.config());
        } catch (RuntimeException | IOException x) {
            store.release(id, now, null);
            backoff(id, "cannot define VM '" + v.config().name() + "' here: " + x.getMessage());
            return;
        }
        if (v.running()) startOwned(id, v, epoch, v.handoff(), v.handoff() == null);
    }

    /**
     * Starts a VM this host owns, after checking on the leader that it still does at {@code epoch}: from the handoff of
     * a planned move, else afresh (a failover, a fenced VM's restart).
     */
    private void startOwned(UUID id, ClusteredVm v, long epoch, Handoff handoff, boolean failover) throws Exception {
        if (!store.owns(id, session, epoch) || lease.expired(System.nanoTime())) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "cluster: lost VM '" + v.config().name() + "' before starting it");
            return;
        }
        try {
            LastMove m;
            if (handoff != null) m = moves.arrive(id, handoff);
            else {
                vms.start(id.toString());
                m = new LastMove(LastMove.FAILOVER, null, options.hostName(), clock.instant(), null, null);
            }
            if (m.pauseMs() == null && handoff != null) pausedUntilRunning.put(id, handoff.leftAt());
            if (handoff != null || failover) updateOwned(id, vm -> vm.withLastMove(m));
        } catch (ServiceException x) {
            backoff(id, "cannot start VM '" + v.config().name() + "': " + x.getMessage());
            Versioned<ClusteredVm> now = store.get(ClusterStore.VMS + "/" + id, ClusteredVm.class);
            if (now != null) store.release(id, now, null);
        }
    }

    private void backoff(UUID id, String why) {
        LOG.log(System.Logger.Level.WARNING, "cluster: " + why + "; leaving it to the other hosts for a while");
        backoffUntil.put(id, System.nanoTime() + REFUSED_BACKOFF.toNanos());
    }

    /** Waits until the VM is no longer active here (a planned move's stop, a clean shutdown). */
    private boolean awaitInactive(UUID id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<VmView> v = vms.find(id);
            if (v.isEmpty() || !v.get().status().state().isActive()) return true;
            sleep(20);
        }
        return false;
    }

    // ---- the owner keeps the cluster's record in step with the VM (events, on the worker thread) ----

    private void onEvent(Event e) {
        if (e.vmId() == null || e.type().equals(Event.JOB)) return;
        UUID id;
        try {
            id = UUID.fromString(e.vmId());
        } catch (IllegalArgumentException x) {
            return;
        }
        if (!clustered.contains(id)) return;
        worker.execute(() -> {
            try {
                record(id, e);
            } catch (Exception x) {
                LOG.log(System.Logger.Level.WARNING, "cluster: cannot record " + e.type() + " of VM " + id + ": " + x);
            }
        });
    }

    private void record(UUID id, Event e) throws Exception {
        if (e.type().equals(Event.VM_STATE)) {
            VmState s = VmState.valueOf(e.state().toUpperCase(java.util.Locale.ROOT));
            if (clusterStops.contains(id)) {
                if (!s.isActive()) clusterStops.remove(id);
                return;
            }
            if (s == VmState.STOPPING) return;
            updateOwned(id, vm -> vm.withRunning(s.isActive()));
            Instant left = s == VmState.RUNNING ? pausedUntilRunning.remove(id) : null;
            if (left != null) {
                long pause = Duration.between(left, clock.instant()).toMillis();
                updateOwned(
                        id,
                        vm -> vm.lastMove() == null || vm.lastMove().pauseMs() != null
                                ? vm
                                : vm.withLastMove(vm.lastMove().withPause(pause)));
            }
        } else if (e.type().equals(Event.VM_UPDATED)) {
            Optional<VmView> v = vms.find(id);
            if (v.isPresent()) updateOwned(id, vm -> vm.withConfig(v.get().config()));
        } else if (e.type().equals(Event.VM_DELETED)) {
            if (forgetting.remove(id)) return;
            Versioned<OwnerRecord> o = store.get(ClusterStore.OWNERS + "/" + id, OwnerRecord.class);
            if (o != null && o.session() == session) {
                store.removeClustered(id);
                clustered.remove(id);
            }
        }
    }

    private void updateOwned(UUID id, java.util.function.UnaryOperator<ClusteredVm> change) throws Exception {
        for (int attempt = 0; attempt < 5; attempt++) {
            Versioned<OwnerRecord> o = store.get(ClusterStore.OWNERS + "/" + id, OwnerRecord.class);
            if (o == null || o.session() != session) return;
            Versioned<ClusteredVm> vm = store.get(ClusterStore.VMS + "/" + id, ClusteredVm.class);
            if (vm == null) return;
            ClusteredVm next = change.apply(vm.value());
            if (next.equals(vm.value()) || store.update(id, vm.version(), next)) return;
        }
    }

    // ---- what the API offers ----

    /**
     * Makes a VM of this host highly available (or changes its preferred hosts and priority): its disks (and kernel
     * files) must be on the shared storage, which every live member must see (the same storage id), and it is owned
     * here from epoch 1.
     */
    public Map<String, Object> makeHighlyAvailable(String ref, List<String> preferred, Priority priority)
            throws Exception {
        VmView v = vms.get(ref);
        UUID id = v.config().id();
        requireConnected();
        store.createTree();
        Versioned<ClusteredVm> existing = store.get(ClusterStore.VMS + "/" + id, ClusteredVm.class);
        if (existing != null) {
            ClusteredVm next = existing.value()
                    .withSettings(
                            preferred == null ? existing.value().preferredHosts() : preferred,
                            priority == null ? existing.value().priority() : priority);
            if (!store.update(id, existing.version(), next))
                throw ServiceException.conflict("changed", "the VM's cluster record changed meanwhile; try again");
            return vmStatus(id);
        }
        requireShared(v.config());
        Snapshot s = store.read();
        List<String> blind = s.liveHosts().stream()
                .filter(h -> !storageId.equals(h.storageId()))
                .map(HostRecord::name)
                .toList();
        if (!blind.isEmpty())
            throw new InvalidConfigException(
                    "disks",
                    "hosts " + blind + " do not see the shared storage " + options.sharedStorage()
                            + " (a different or no --shared-storage): they could not run this VM");
        boolean active = v.status().state().isActive();
        madeHighlyAvailable.put(id, BEING_MADE_AVAILABLE);
        clustered.add(id);
        try {
            store.createClustered(
                    id,
                    new ClusteredVm(v.config(), preferred, priority, active, storageId, null, null, null),
                    options.hostName(),
                    clock.instant());
        } finally {
            madeHighlyAvailable.put(id, System.nanoTime());
        }
        LOG.log(System.Logger.Level.INFO, "cluster: VM '" + v.config().name() + "' is now highly available");
        return vmStatus(id);
    }

    private void requireShared(VmConfig c) {
        if (options.sharedStorage() == null)
            throw new InvalidConfigException(
                    "highlyAvailable",
                    "this host has no shared storage (serve --shared-storage DIR): a highly available VM's disks "
                            + "must be where every host sees them");
        List<String> files = new ArrayList<>();
        for (Disk d : c.disks()) files.add(d.path());
        if (c.boot() instanceof BootSource.Kernel k) {
            files.add(k.kernel());
            if (k.initrd() != null) files.add(k.initrd());
        }
        for (String f : files) {
            Path p = Path.of(f).toAbsolutePath().normalize();
            if (!p.startsWith(options.sharedStorage()) || !Files.exists(p))
                throw new InvalidConfigException(
                        "disks",
                        f + " is not on the shared storage " + options.sharedStorage()
                                + ": every host must see a highly available VM's files");
        }
    }

    /** Takes a VM out of the cluster (its owner does): it stays defined here. */
    public void removeHighAvailability(String ref) throws Exception {
        VmView v = vms.get(ref);
        UUID id = v.config().id();
        requireConnected();
        Versioned<OwnerRecord> o = store.get(ClusterStore.OWNERS + "/" + id, OwnerRecord.class);
        if (o == null) throw ServiceException.notFound("VM '" + v.config().name() + "' is not highly available");
        if (o.session() != session)
            throw ServiceException.conflict(
                    "not_owner",
                    "VM '" + v.config().name() + "' is owned by '" + o.value().host() + "'; ask it");
        store.removeClustered(id);
        clustered.remove(id);
        vms.engine().lease(id, Long.MAX_VALUE);
    }

    /** Asks {@code host} to move its VMs away (on) or lets it take VMs again (off). */
    public void drain(String host, boolean on) throws Exception {
        requireConnected();
        store.createTree();
        org.viridian.management.config.VmConfigs.name(host);
        store.drain(host, on);
    }

    /** Asks a clustered VM's owner to move it to {@code host} (a planned move). */
    public Map<String, Object> move(String vmRef, String host) throws Exception {
        requireConnected();
        Snapshot s = store.read();
        UUID id = clusteredId(s, vmRef);
        if (s.hosts().values().stream().noneMatch(h -> h.value().name().equals(host)))
            throw ServiceException.notFound("no live cluster member named '" + host + "'");
        Versioned<ClusteredVm> vm = s.vms().get(id);
        if (!store.update(id, vm.version(), vm.value().withMove(host, null)))
            throw ServiceException.conflict("changed", "the VM's cluster record changed meanwhile; try again");
        return vmStatus(id);
    }

    private static UUID clusteredId(Snapshot s, String ref) {
        for (var e : s.vms().entrySet()) {
            if (e.getKey().toString().equals(ref)
                    || e.getValue().value().config().name().equalsIgnoreCase(ref)) return e.getKey();
        }
        throw ServiceException.notFound("no highly available VM named or with id '" + ref + "'");
    }

    private void requireConnected() {
        if (!registered || !zk.getZookeeperClient().isConnected())
            throw ServiceException.conflict(
                    "cluster_unavailable", "this host is not connected to the cluster now (" + health.detail + ")");
    }

    private Map<String, Object> vmStatus(UUID id) throws Exception {
        Snapshot s = store.read();
        last = s;
        return vmView(id, s);
    }

    private Map<String, Object> vmView(UUID id, Snapshot s) {
        ClusteredVm vm = s.vms().get(id).value();
        Versioned<OwnerRecord> o = s.owners().get(id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id.toString());
        m.put("name", vm.config().name());
        m.put("priority", vm.priority().wire());
        m.put("preferredHosts", vm.preferredHosts());
        m.put("running", vm.running());
        m.put("owner", o == null ? null : o.value().host());
        m.put("epoch", o == null ? null : o.value().epoch());
        String state = null;
        if (o != null) {
            Versioned<HostRecord> h = s.hosts().get(o.value().host());
            if (h != null) state = h.value().vms().get(id.toString());
        }
        m.put("state", state);
        m.put("moveTo", vm.moveTo());
        m.put("lastMove", vm.lastMove());
        return m;
    }

    /** The cluster as this member sees it: members, their health and capacity, and every clustered VM. */
    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("enabled", true);
        out.put("host", options.hostName());
        out.put("health", health.wire());
        out.put("detail", health.detail);
        out.put("ensemble", options.connect());
        out.put("sessionTimeoutMs", lease.timeout().toMillis());
        out.put(
                "sharedStorage",
                options.sharedStorage() == null ? null : options.sharedStorage().toString());
        Snapshot s = last;
        boolean fresh = false;
        if (registered && zk.getZookeeperClient().isConnected()) {
            try {
                s = store.read();
                last = s;
                fresh = true;
            } catch (Exception e) {
                // below: the last view, marked stale
            }
        }
        out.put("stale", !fresh);
        List<Map<String, Object>> hosts = new ArrayList<>();
        List<Map<String, Object>> vmsOut = new ArrayList<>();
        if (s != null) {
            for (HostRecord h : s.liveHosts()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", h.name());
                m.put("url", h.url());
                m.put("health", h.health());
                m.put("draining", h.draining());
                m.put("memoryForVms", h.memoryForVms());
                m.put("memoryFree", h.memoryFree());
                m.put("processors", h.processors());
                m.put("joined", h.joined());
                m.put("vms", h.vms());
                hosts.add(m);
            }
            for (UUID id : s.vms().keySet()) vmsOut.add(vmView(id, s));
            out.put("drainRequested", s.draining());
        }
        out.put("hosts", hosts);
        out.put("vms", vmsOut);
        return out;
    }

    /**
     * Leaves the cluster: clustered VMs running here are stopped first, while this host still holds their owner
     * nodes (so no other host starts them before they are off), then the session is closed and the others take them.
     */
    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (UUID id : clustered) {
            Optional<VmView> v = vms.find(id);
            if (v.isEmpty() || !v.get().status().state().isActive()) continue;
            clusterStops.add(id);
            try {
                vms.stop(id.toString(), false);
                awaitInactive(id, Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cluster: stopping " + id + " on leaving: " + e.getMessage());
            }
        }
        heartbeat.shutdownNow();
        try {
            subscription.close();
        } catch (Exception ignored) {
            // the bus goes with the service
        }
        zk.close();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A planned move without the guest's state: a stop here (a graceful shutdown where the guest offers one) and a fresh start there. */
    static final class ColdMove implements PlannedMove {
        private final VmService vms;
        private final java.util.function.BiPredicate<UUID, Duration> awaitInactive;
        private final String host;
        private final Clock clock;

        ColdMove(
                VmService vms, java.util.function.BiPredicate<UUID, Duration> awaitInactive, String host, Clock clock) {
            this.vms = vms;
            this.awaitInactive = awaitInactive;
            this.host = host;
            this.clock = clock;
        }

        @Override
        public Handoff leave(UUID vm, long epoch) throws Exception {
            Instant left = clock.instant();
            Optional<VmView> v = vms.find(vm);
            if (v.isPresent() && v.get().status().state().isActive()) {
                vms.stop(vm.toString(), true);
                if (!awaitInactive.test(vm, Duration.ofSeconds(40)))
                    throw new IllegalStateException("VM " + vm + " did not stop for its move");
            }
            return new Handoff.Cold(host, left, null);
        }

        /** Starts the VM afresh (a saved state this host cannot restore, having no shared storage, is not used). */
        @Override
        public LastMove arrive(UUID vm, Handoff handoff) {
            vms.start(vm.toString());
            String note = handoff instanceof Handoff.Cold c
                    ? c.why()
                    : "this host has no shared storage to restore the saved state from: booted afresh";
            return new LastMove(LastMove.COLD, handoff.from(), host, clock.instant(), null, note);
        }
    }
}
