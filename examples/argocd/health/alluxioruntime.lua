-- Argo CD health of a Fluid AlluxioRuntime, from the master, worker and FUSE phases upstream
-- reports in status (pkg/ddc/base/runtime status; each "", NotReady, PartialReady or Ready).
local hs = {status = "Progressing", message = "Waiting for the runtime's status"}
if obj.status == nil then
  return hs
end
local s = obj.status
local function count(ready, desired)
  return tostring(ready or 0) .. "/" .. tostring(desired or 0)
end
local parts = {
  {"master", s.masterPhase, count(s.masterNumberReady, s.desiredMasterNumberScheduled)},
  {"worker", s.workerPhase, count(s.workerNumberReady, s.desiredWorkerNumberScheduled)},
  {"fuse", s.fusePhase, count(s.fuseNumberReady, s.desiredFuseNumberScheduled)},
}
local summary = {}
local degraded = false
local ready = true
for _, part in ipairs(parts) do
  local name, phase, numbers = part[1], part[2], part[3]
  table.insert(summary, name .. "s " .. numbers .. " ready (" .. (phase or "unknown") .. ")")
  if phase ~= "Ready" then ready = false end
  if phase == "PartialReady" then degraded = true end
end
hs.message = table.concat(summary, ", ")
if ready then
  hs.status = "Healthy"
elseif degraded then
  hs.status = "Degraded"
end
return hs
