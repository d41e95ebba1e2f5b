-- Issue 12: 规划经理 (planning manager), the third accountable member of a project team beside the
-- 项目经理 and the 项目监控人: research, feasibility and planning documents. Optional, like every
-- column but the id and the stage or status; projects loaded before this migration have no planner.
-- Added at the end of both tables, so projects and project_snapshots keep the same column order
-- (the load moves rows between them with SELECT *), and the view over both is rebuilt to include it.
ALTER TABLE projects ADD COLUMN planner VARCHAR;
ALTER TABLE project_snapshots ADD COLUMN planner VARCHAR;
DROP VIEW project_versions;
CREATE VIEW project_versions AS
    SELECT * FROM project_snapshots UNION ALL SELECT * FROM projects;
