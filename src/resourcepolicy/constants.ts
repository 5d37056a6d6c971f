/** Names the ResourcePolicy controller puts on pods and looks for on nodes. */

/** The scheduling gate the webhook adds to selected pods and the controller lifts. */
export const GATE = 'scheduling.alibabacloud.com/resource-policy';

/** Annotations on pods the controller placed: policy name, unit index, when, and how. */
export const ANNOTATION_POLICY = 'scheduling.spillway.dev/resource-policy';
export const ANNOTATION_UNIT = 'scheduling.spillway.dev/unit';
export const ANNOTATION_ASSIGNED_AT = 'scheduling.spillway.dev/assigned-at';
/** "true" when the pod was sent to wait in a unit that had no room (for nodes to be added). */
export const ANNOTATION_WAITING = 'scheduling.spillway.dev/waiting-for-capacity';

/** ReplicaSets delete pods with a lower cost first (KEP-2255). */
export const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/** Virtual nodes (ECI, ACS) as virtual-kubelet labels and taints them. */
export const VIRTUAL_NODE_LABEL = 'type';
export const VIRTUAL_NODE_VALUE = 'virtual-kubelet';
/** Which kind of virtual node (eci or acs), when a cluster has both. */
export const VIRTUAL_NODE_TYPE_LABEL = 'alibabacloud.com/virtual-node-type';
export const VIRTUAL_NODE_TAINT_KEY = 'virtual-kubelet.io/provider';

/** ACS units label pods with a compute class and QoS unless podLabels say otherwise. */
export const COMPUTE_CLASS_LABEL = 'alibabacloud.com/compute-class';
export const COMPUTE_QOS_LABEL = 'alibabacloud.com/compute-qos';
export const COMPUTE_QOS_STRATEGY_ANNOTATION = 'alpha.alibabacloud.com/compute-qos-strategy';

/**
 * On namespaces that hold at least one ResourcePolicy, kept by the controller: the webhook
 * configuration sends pod creations there with failurePolicy Fail, so that an outage of the
 * webhook refuses selected pods instead of letting them through ungated.
 */
export const NAMESPACE_LABEL = 'scheduling.spillway.dev/resource-policies';
export const NAMESPACE_LABEL_VALUE = 'true';

/**
 * On pods the webhook sent straight to a unit at admission: the AdmissionReview's uid, which
 * ties the stored pod to the place held for it until the controller's watch shows the pod.
 */
export const ANNOTATION_ADMISSION = 'scheduling.spillway.dev/admission';
