package org.viridian.management.testing;

import java.nio.file.Path;
import org.viridian.management.ManagementService;
import org.viridian.management.ServiceOptions;
import org.viridian.management.service.SwitchService;

/**
 * A service in its own JVM for the crash tests (killed with SIGKILL): args STATE-DIR [scripted|kvm]. Prints
 * "serving URL" once it listens. It owns only the switches it made (tests share the host).
 */
public final class ServiceProcess {
    public static void main(String[] args) throws Exception {
        ServiceOptions o = new ServiceOptions(Path.of(args[0]), "127.0.0.1", 0, null, false);
        ManagementService s = ManagementService.start(
                o,
                args.length > 1 && args[1].equals("kvm") ? null : new ScriptedEngine(),
                SwitchService.HostAccess.shared());
        System.out.println("serving " + s.url());
        System.out.flush();
        Thread.currentThread().join();
    }
}
