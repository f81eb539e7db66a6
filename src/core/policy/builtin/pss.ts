// Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
// baseline and restricted, as of Kubernetes 1.33, over every pod spec (Pod, the workloads' pod
// templates, CronJob job templates) and every container (init and ephemeral included).
import type { Fix } from '../../findings';
import type { ObjectRef, RuleContext, Violation } from '../types';
import { setFields } from '../yaml-edit';
import { get, isRecord, podSpecOf, str, type ContainerRef, type Obj, type Path, type PodSpecRef } from '../workload';

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID',
  'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
]);

const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

const containerLabel = (c: ContainerRef) => `${c.kind === 'containers' ? 'container' : c.kind === 'initContainers' ? 'init container' : 'ephemeral container'} '${c.name}'`;
const nameAnchor = (c: ContainerRef): Path => [...c.path, 'name'];

function sc(v: Obj): Obj {
  return isRecord(v.securityContext) ? v.securityContext : {};
}

/** Sets allowPrivilegeEscalation: false in a container. */
export function privilegeEscalationFix(c: ContainerRef): Violation['fix'] {
  return (t) => {
    const edits = setFields(t, [...c.path, 'securityContext'], [{ key: 'allowPrivilegeEscalation', value: 'false' }]);
    return edits && ({ title: `Set allowPrivilegeEscalation: false on ${containerLabel(c)}`, edits, isPreferred: true } satisfies Fix);
  };
}

/** Sets runAsNonRoot: true in the pod securityContext (and drops a container's `runAsNonRoot: false`). */
function runAsNonRootFix(ps: PodSpecRef, containerOverrides: ContainerRef[]): Violation['fix'] {
  return (t) => {
    const edits = [];
    const pod = setFields(t, [...ps.path, 'securityContext'], [{ key: 'runAsNonRoot', value: 'true' }]);
    if (!pod) return undefined;
    edits.push(...pod);
    for (const c of containerOverrides) {
      const e = setFields(t, [...c.path, 'securityContext'], [{ key: 'runAsNonRoot', value: 'true' }]);
      if (!e) return undefined;
      edits.push(...e);
    }
    return { title: 'Set runAsNonRoot: true', edits, isPreferred: true };
  };
}

export function checkPss(o: ObjectRef, ctx: RuleContext): void {
  const ps = podSpecOf(o.value);
  if (!ps) return;
  const report = (v: Violation) => ctx.report(o, v);
  const spec = ps.spec;
  const podSc = sc(spec);
  const windows = get(spec, ['os', 'name']) === 'windows';
  const p = (...rest: Array<string | number>): Path => [...ps.path, ...rest];

  // host namespaces
  for (const [f, ns] of [['hostNetwork', 'network'], ['hostPID', 'process (PID)'], ['hostIPC', 'IPC']] as const) {
    if (spec[f] === true) report({ code: 'pss/host-namespaces', level: 'baseline', path: p(f), message: `${f} is true: the pod shares the node's ${ns} namespace` });
  }
  // HostProcess
  if (get(podSc, ['windowsOptions', 'hostProcess']) === true) {
    report({ code: 'pss/privileged', level: 'baseline', path: p('securityContext', 'windowsOptions', 'hostProcess'), message: 'Windows HostProcess pods have full access to the node' });
  }
  // volumes
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  volumes.forEach((vol, i) => {
    if (!isRecord(vol)) return;
    const name = str(vol.name) ?? `#${i}`;
    if ('hostPath' in vol) {
      report({ code: 'pss/host-path', level: 'baseline', path: p('volumes', i, 'hostPath'), key: true, message: `volume '${name}' mounts the node's filesystem (hostPath ${str(get(vol, ['hostPath', 'path'])) ?? ''})`.replace(' ()', '') });
    } else {
      const type = Object.keys(vol).find((k) => k !== 'name');
      if (type && !RESTRICTED_VOLUMES.has(type)) {
        report({ code: 'pss/volume-types', level: 'restricted', path: p('volumes', i, type), key: true, message: `volume '${name}' has type ${type}, not allowed by the restricted level` });
      }
    }
  });
  // sysctls
  const sysctls = Array.isArray(podSc.sysctls) ? podSc.sysctls : [];
  sysctls.forEach((s, i) => {
    const name = str(get(s, ['name']));
    if (name !== undefined && !SAFE_SYSCTLS.has(name)) {
      report({ code: 'pss/sysctls', level: 'baseline', path: p('securityContext', 'sysctls', i, 'name'), message: `sysctl ${name} is not in the safe set` });
    }
  });
  // seccomp (pod level)
  const podSeccomp = str(get(podSc, ['seccompProfile', 'type']));
  if (podSeccomp === 'Unconfined') {
    report({ code: 'pss/seccomp', level: 'baseline', path: p('securityContext', 'seccompProfile', 'type'), message: 'seccompProfile type Unconfined turns seccomp off' });
  }
  // AppArmor (annotations and fields)
  const annotations = isRecord(ps.metadata.annotations) ? ps.metadata.annotations : {};
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && String(v) !== 'runtime/default' && !String(v).startsWith('localhost/')) {
      report({ code: 'pss/apparmor', level: 'baseline', path: [...ps.metadataPath, 'annotations', k], message: `AppArmor profile '${String(v)}' for container '${k.split('/')[1]}' is not allowed (runtime/default or localhost/*)` });
    }
  }
  if (get(podSc, ['appArmorProfile', 'type']) === 'Unconfined') {
    report({ code: 'pss/apparmor', level: 'baseline', path: p('securityContext', 'appArmorProfile', 'type'), message: 'appArmorProfile type Unconfined turns AppArmor off' });
  }
  // SELinux (pod level)
  checkSeLinux(podSc, p('securityContext', 'seLinuxOptions'), 'the pod', report);

  const podRunAsNonRoot = podSc.runAsNonRoot === true;
  const missingSeccomp: ContainerRef[] = [];
  const notNonRoot: ContainerRef[] = [];
  const nonRootFalse: ContainerRef[] = [];
  if (podSc.runAsUser === 0 || podSc.runAsUser === 0n) {
    report({ code: 'pss/run-as-non-root', level: 'restricted', path: p('securityContext', 'runAsUser'), message: 'runAsUser is 0 (root) for the pod' });
  }

  for (const c of ps.containers) {
    const csc = sc(c.value);
    const cp = (...rest: Array<string | number>): Path => [...c.path, ...rest];
    const label = containerLabel(c);
    if (csc.privileged === true) report({ code: 'pss/privileged', level: 'baseline', path: cp('securityContext', 'privileged'), message: `${label} is privileged: it has full access to the node` });
    if (get(csc, ['windowsOptions', 'hostProcess']) === true) report({ code: 'pss/privileged', level: 'baseline', path: cp('securityContext', 'windowsOptions', 'hostProcess'), message: `${label} is a Windows HostProcess container` });
    const ports = Array.isArray(c.value.ports) ? c.value.ports : [];
    ports.forEach((port, j) => {
      const hp = get(port, ['hostPort']);
      if (hp !== undefined && hp !== null && Number(hp) !== 0) report({ code: 'pss/host-ports', level: 'baseline', path: cp('ports', j, 'hostPort'), message: `${label} binds host port ${String(hp)}` });
    });
    const pm = str(csc.procMount);
    if (pm !== undefined && pm !== 'Default') report({ code: 'pss/proc-mount', level: 'baseline', path: cp('securityContext', 'procMount'), message: `${label} sets procMount ${pm}; only Default is allowed` });
    // capabilities
    const add = get(csc, ['capabilities', 'add']);
    const added = Array.isArray(add) ? add.map(String) : [];
    added.forEach((cap, k) => {
      const bare = cap.replace(/^CAP_/, '');
      if (!BASELINE_CAPABILITIES.has(bare)) {
        report({ code: 'pss/capabilities', level: 'baseline', path: cp('securityContext', 'capabilities', 'add', k), message: `${label} adds capability ${cap}, beyond the baseline set` });
      } else if (bare !== 'NET_BIND_SERVICE' && !windows) {
        report({ code: 'pss/capabilities', level: 'restricted', path: cp('securityContext', 'capabilities', 'add', k), message: `${label} adds capability ${cap}; restricted allows only NET_BIND_SERVICE` });
      }
    });
    const drop = get(csc, ['capabilities', 'drop']);
    if (!windows && !(Array.isArray(drop) && drop.some((d) => String(d) === 'ALL'))) {
      report({
        code: 'pss/capabilities', level: 'restricted', path: cp('securityContext', 'capabilities', 'drop'), anchor: nameAnchor(c), missing: true,
        message: `${label} does not drop ALL capabilities`,
        fix: Array.isArray(drop) || drop !== undefined ? undefined : (t) => {
          const edits = setFields(t, cp('securityContext', 'capabilities'), [{ key: 'drop', value: '["ALL"]' }]);
          return edits && { title: `Drop ALL capabilities in ${label}`, edits };
        },
      });
    }
    // seccomp
    const cs = str(get(csc, ['seccompProfile', 'type']));
    if (cs === 'Unconfined') report({ code: 'pss/seccomp', level: 'baseline', path: cp('securityContext', 'seccompProfile', 'type'), message: `${label}: seccompProfile type Unconfined turns seccomp off` });
    const effective = cs ?? podSeccomp;
    if (!windows && effective !== 'RuntimeDefault' && effective !== 'Localhost' && effective !== 'Unconfined') missingSeccomp.push(c);
    if (get(csc, ['appArmorProfile', 'type']) === 'Unconfined') report({ code: 'pss/apparmor', level: 'baseline', path: cp('securityContext', 'appArmorProfile', 'type'), message: `${label}: appArmorProfile type Unconfined turns AppArmor off` });
    checkSeLinux(csc, cp('securityContext', 'seLinuxOptions'), label, report);
    // privilege escalation
    if (!windows && csc.allowPrivilegeEscalation !== false) {
      const set = csc.allowPrivilegeEscalation === true;
      report({
        code: 'pss/privilege-escalation', level: 'restricted', path: cp('securityContext', 'allowPrivilegeEscalation'), anchor: nameAnchor(c),
        message: set ? `${label} sets allowPrivilegeEscalation: true` : `${label} does not set allowPrivilegeEscalation: false`,
        fix: privilegeEscalationFix(c),
        missing: !set,
      });
    }
    // run as non-root
    if (csc.runAsNonRoot === false) nonRootFalse.push(c);
    if (csc.runAsNonRoot !== true && !(podRunAsNonRoot && csc.runAsNonRoot === undefined)) notNonRoot.push(c);
    if (csc.runAsUser === 0 || csc.runAsUser === 0n) report({ code: 'pss/run-as-non-root', level: 'restricted', path: cp('securityContext', 'runAsUser'), message: `${label} runs as user 0 (root)` });
  }

  if (missingSeccomp.length) {
    const names = missingSeccomp.map((c) => c.name).join(', ');
    report({
      code: 'pss/seccomp', level: 'restricted', path: p('securityContext', 'seccompProfile'), anchor: nameAnchor(missingSeccomp[0]), missing: true,
      message: `seccompProfile is not set to RuntimeDefault or Localhost (for ${missingSeccomp.length === 1 ? 'container' : 'containers'} ${names})`,
      fix: (t) => {
        const edits = setFields(t, p('securityContext'), [{ key: 'seccompProfile', value: ['type: RuntimeDefault'], replace: false }]);
        return edits && { title: 'Set seccompProfile type RuntimeDefault for the pod', edits };
      },
    });
  }
  if (notNonRoot.length) {
    const names = notNonRoot.map((c) => c.name).join(', ');
    const c0 = nonRootFalse[0];
    report({
      code: 'pss/run-as-non-root', level: 'restricted', missing: !c0,
      path: c0 ? [...c0.path, 'securityContext', 'runAsNonRoot'] : p('securityContext', 'runAsNonRoot'),
      anchor: nameAnchor(notNonRoot[0]),
      message: c0 ? `${containerLabel(c0)} sets runAsNonRoot: false` : `runAsNonRoot is not true (for ${notNonRoot.length === 1 ? 'container' : 'containers'} ${names})`,
      fix: runAsNonRootFix(ps, nonRootFalse),
    });
  }
}

function checkSeLinux(scv: Obj, path: Path, label: string, report: (v: Violation) => void): void {
  const o = scv.seLinuxOptions;
  if (!isRecord(o)) return;
  const type = o.type;
  if (type !== undefined && !SELINUX_TYPES.has(String(type))) report({ code: 'pss/selinux', level: 'baseline', path: [...path, 'type'], message: `${label}: SELinux type ${String(type)} is not a container type` });
  for (const f of ['user', 'role'] as const) {
    if (o[f] !== undefined && o[f] !== '') report({ code: 'pss/selinux', level: 'baseline', path: [...path, f], message: `${label}: SELinux ${f} must not be set` });
  }
}
