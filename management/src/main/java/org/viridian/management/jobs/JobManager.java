package org.viridian.management.jobs;

import java.time.Clock;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/** Runs long operations on virtual threads and keeps their progress for clients (the last few hundred jobs). */
public final class JobManager implements AutoCloseable {
    private static final int KEEP = 300;
    private final Clock clock;
    private final Consumer<Job> onChange;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Job> jobs = new LinkedHashMap<>();

    /** What a job's body reports through. */
    public interface Progress {
        void report(int percent, String message);
    }

    /** A job's body: returns the message it ends with; an exception fails the job with its message. */
    public interface Body {
        String run(Progress progress) throws Exception;
    }

    public JobManager(Clock clock, Consumer<Job> onChange) {
        this.clock = clock;
        this.onChange = onChange;
    }

    public Job submit(String kind, String vmId, String vmName, Body body) {
        Job job = new Job(
                UUID.randomUUID().toString(),
                kind,
                vmId,
                vmName,
                Job.Status.RUNNING,
                0,
                kind + " queued",
                clock.instant(),
                null);
        put(job);
        executor.submit(() -> {
            try {
                String done = body.run((p, m) -> update(job.id(), Job.Status.RUNNING, Math.clamp(p, 0, 99), m));
                update(job.id(), Job.Status.SUCCEEDED, 100, done);
            } catch (Exception | Error e) {
                update(job.id(), Job.Status.FAILED, 100, e.getMessage() == null ? e.toString() : e.getMessage());
            }
        });
        return job;
    }

    private void update(String id, Job.Status status, int progress, String message) {
        Job next;
        synchronized (this) {
            Job j = jobs.get(id);
            if (j == null) return;
            next = new Job(
                    j.id(),
                    j.kind(),
                    j.vmId(),
                    j.vmName(),
                    status,
                    progress,
                    message,
                    j.created(),
                    status == Job.Status.RUNNING ? null : clock.instant());
            jobs.put(id, next);
        }
        onChange.accept(next);
    }

    private void put(Job job) {
        synchronized (this) {
            jobs.put(job.id(), job);
            if (jobs.size() > KEEP) {
                jobs.values().stream().filter(Job::done).findFirst().ifPresent(old -> jobs.remove(old.id()));
            }
        }
        onChange.accept(job);
    }

    public synchronized Optional<Job> get(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    public synchronized List<Job> list() {
        return jobs.values().stream()
                .sorted(Comparator.comparing(Job::created).reversed())
                .toList();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
