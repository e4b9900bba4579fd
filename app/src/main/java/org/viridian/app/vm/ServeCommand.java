package org.viridian.app.vm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.viridian.app.cli.Messages;
import org.viridian.management.ManagementService;
import org.viridian.management.ServiceOptions;
import org.viridian.management.api.ApiServer;
import org.viridian.management.auth.TokenStore;
import org.viridian.management.cluster.ClusterOptions;
import org.viridian.management.config.Json;
import org.viridian.management.service.SwitchService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `viridian serve`: the host service (REST API, web manager) until SIGINT/SIGTERM or SIGKILL. Its VMs run in worker
 * processes of their own and keep running when it ends; the next service on the same state directory adopts them.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description =
                "Run the host service: it owns this host's VMs and serves the REST API (/api/v1) and the web manager.",
        subcommands = ServeCommand.Token.class)
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--state-dir", description = "Where VM definitions live (default: $VIRIDIAN_HOME or ~/.viridian).")
    Path stateDir;

    @Option(
            names = "--listen",
            defaultValue = "127.0.0.1:" + ServiceOptions.DEFAULT_PORT,
            description = "ADDR:PORT (default ${DEFAULT-VALUE}; port 0 picks a free one). A non-loopback address needs "
                    + "--tls-keystore and tokens.")
    String listen;

    @Option(names = "--tls-keystore", description = "PKCS#12 key store with the server's key and certificate.")
    Path tlsKeyStore;

    @Option(names = "--tls-password-file", description = "File holding the key store's password.")
    Path tlsPasswordFile;

    @Option(names = "--auth", description = "Require bearer tokens on loopback too (always on elsewhere).")
    boolean auth;

    @Option(
            names = "--shared-host",
            description = "Other services keep virtual switches on this host too: at start take away only the switches "
                    + "this state directory made (default: every Viridian switch that is not defined here).")
    boolean sharedHost;

    @Option(
            names = "--memory-overcommit",
            description = "Start VMs whose memory the host cannot give (default: refused, naming the figures).")
    boolean memoryOvercommit;

    @Option(
            names = "--confine-workers",
            description =
                    "Each VM's worker process jails itself (private mount namespace + chroot holding only the JDK,"
                            + " its class path and its runtime directory) and installs a seccomp allow-list once its VM is"
                            + " built; hot add of disks and adapters is then refused to it (needs root).")
    boolean confineWorkers;

    @Option(
            names = "--cluster",
            paramLabel = "ZK1:PORT,…",
            description = "Join a failover cluster: the Apache ZooKeeper ensemble's members (3 or 5 of them).")
    String cluster;

    @Option(names = "--host-name", description = "This host's name in the cluster (default: the machine's host name).")
    String hostName;

    @Option(
            names = "--shared-storage",
            paramLabel = "DIR",
            description = "Storage every member sees at the same path (NFS, SMB, CephFS): highly available VMs' disks "
                    + "must be under it.")
    Path sharedStorage;

    @Option(
            names = "--cluster-session-timeout",
            paramLabel = "SECONDS",
            defaultValue = "10",
            description = "The host's lease: a member silent this long is failed over (default ${DEFAULT-VALUE}; the "
                    + "ensemble bounds it, 2 to 20 ticks). Clustered VMs stop after 3/4 of it without contact.")
    double sessionTimeout;

    @Override
    public Integer call() throws Exception {
        ServiceOptions o = options(stateDir, listen, tlsKeyStore, tlsPasswordFile, auth)
                .withMemoryOvercommit(memoryOvercommit)
                .withConfinedWorkers(confineWorkers);
        if (cluster != null)
            o = o.withCluster(new ClusterOptions(
                    cluster,
                    hostName != null
                            ? hostName
                            : java.net.InetAddress.getLocalHost().getHostName(),
                    sharedStorage,
                    java.time.Duration.ofMillis(Math.round(sessionTimeout * 1000))));
        else if (hostName != null || sharedStorage != null)
            throw new IllegalArgumentException(Messages.get("error.clusterOptionsAlone"));
        ManagementService service = ManagementService.start(
                o, null, sharedHost ? SwitchService.HostAccess.shared() : SwitchService.HostAccess.system());
        System.out.println(Messages.get("serve.serving", service.url(), dir(stateDir)));
        System.out.flush();
        awaitShutdown(service);
        return 0;
    }

    static Path dir(Path stateDir) {
        return stateDir != null ? stateDir : ServiceOptions.defaultStateDir();
    }

    static ServiceOptions options(Path stateDir, String listen, Path ks, Path pwFile, boolean auth) throws Exception {
        String[] hp = ServiceOptions.parseListen(listen);
        ApiServer.Tls tls = null;
        if (ks != null) {
            if (pwFile == null) throw new IllegalArgumentException(Messages.get("error.keystoreNeedsPassword"));
            tls = new ApiServer.Tls(
                    ks, Files.readString(pwFile, StandardCharsets.UTF_8).strip());
        }
        return new ServiceOptions(dir(stateDir), hp[0], Integer.parseInt(hp[1]), tls, auth);
    }

    /** Blocks until the process is asked to stop; then the service lets go of its VMs (they run on) and closes. */
    static void awaitShutdown(ManagementService service) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }));
        stopped.await();
    }

    @Command(
            name = "token",
            mixinStandardHelpOptions = true,
            description =
                    "Create a bearer token for the service of a state directory (printed once; only its hash is kept).")
    static final class Token implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "Who or what the token is for.")
        String name;

        @Option(names = "--admin", description = "Every VM and host-wide operations.")
        boolean admin;

        @Option(names = "--vm", paramLabel = "VM", description = "A VM (name or id) the token may manage (repeatable).")
        List<String> vms;

        @Option(names = "--state-dir", description = "State directory (default: $VIRIDIAN_HOME or ~/.viridian).")
        Path stateDir;

        @Override
        public Integer call() throws Exception {
            System.out.println(new TokenStore(dir(stateDir), Json.mapper()).create(name, admin, vms));
            return 0;
        }
    }
}
